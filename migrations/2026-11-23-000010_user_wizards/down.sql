DROP TABLE user_wizards;
