DROP TABLE end_notices;
