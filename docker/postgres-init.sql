-- One database per service (ARCHITECTURE.md, Storage). Run once by the postgres image
-- on an empty data volume; the `migrate` step then creates each service's tables.
CREATE DATABASE gateway;
CREATE DATABASE catalog;
CREATE DATABASE stock;
CREATE DATABASE mrp;
CREATE DATABASE trace;
CREATE DATABASE workflow;
CREATE DATABASE erp;
