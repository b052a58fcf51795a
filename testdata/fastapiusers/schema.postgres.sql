-- FastAPI Users' tables as SQLAlchemy 2 creates them on PostgreSQL
-- (metadata.create_all with fastapi-users-db-sqlalchemy 6's
-- SQLAlchemyBaseUserTableUUID and SQLAlchemyBaseAccessTokenTableUUID):
-- GUID is UUID, TIMESTAMPAware(timezone=True) is TIMESTAMP WITH TIME ZONE,
-- and "user", a reserved word, is quoted.

CREATE TABLE "user" (
	id UUID NOT NULL,
	email VARCHAR(320) NOT NULL,
	hashed_password VARCHAR(1024) NOT NULL,
	is_active BOOLEAN NOT NULL,
	is_superuser BOOLEAN NOT NULL,
	is_verified BOOLEAN NOT NULL,
	PRIMARY KEY (id)
);

CREATE UNIQUE INDEX ix_user_email ON "user" (email);

CREATE TABLE accesstoken (
	token VARCHAR(43) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	user_id UUID NOT NULL,
	PRIMARY KEY (token),
	FOREIGN KEY(user_id) REFERENCES "user" (id) ON DELETE cascade
);

CREATE INDEX ix_accesstoken_created_at ON accesstoken (created_at);
