DROP TABLE automation_rules;
