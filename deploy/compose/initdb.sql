-- the order store beside the tracker store (POSTGRES_DB=kefu creates that one)
CREATE DATABASE kefu_orders;
