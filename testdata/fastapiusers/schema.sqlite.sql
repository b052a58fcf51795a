-- FastAPI Users' tables as SQLAlchemy 2 creates them on SQLite
-- (metadata.create_all with fastapi-users-db-sqlalchemy 6's
-- SQLAlchemyBaseUserTableUUID and SQLAlchemyBaseAccessTokenTableUUID):
-- GUID is CHAR(36) holding the lowercase hyphenated UUID, Boolean is
-- BOOLEAN holding 0 or 1, TIMESTAMPAware is TIMESTAMP. SQLAlchemy does not
-- quote user here: it is not reserved in SQLite.

CREATE TABLE user (
	id CHAR(36) NOT NULL,
	email VARCHAR(320) NOT NULL,
	hashed_password VARCHAR(1024) NOT NULL,
	is_active BOOLEAN NOT NULL,
	is_superuser BOOLEAN NOT NULL,
	is_verified BOOLEAN NOT NULL,
	PRIMARY KEY (id)
);

CREATE UNIQUE INDEX ix_user_email ON user (email);

CREATE TABLE accesstoken (
	token VARCHAR(43) NOT NULL,
	created_at TIMESTAMP NOT NULL,
	user_id CHAR(36) NOT NULL,
	PRIMARY KEY (token),
	FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE cascade
);

CREATE INDEX ix_accesstoken_created_at ON accesstoken (created_at);
