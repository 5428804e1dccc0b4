DROP TABLE access_review_items;
DROP TABLE access_reviews;
