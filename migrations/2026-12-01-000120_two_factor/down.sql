DROP TABLE two_factor_roles;
DROP TABLE recovery_codes;
DROP TABLE two_factor;
