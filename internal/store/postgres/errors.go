package postgres

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATE codes the store tells apart.
// https://www.postgresql.org/docs/15/errcodes-appendix.html
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// pgCode is the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// isDuplicate reports a primary key or unique constraint violation.
func isDuplicate(err error) bool { return pgCode(err) == codeUniqueViolation }

// violates reports a unique violation of the named constraint or index
// (such as a second active token with the same name).
func violates(err error, constraint string) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == codeUniqueViolation && e.ConstraintName == constraint
}

// isForeignKey reports a foreign key violation (the parent row is missing).
func isForeignKey(err error) bool { return pgCode(err) == codeForeignKeyViolation }

// retryable reports an abort that running the transaction again mends.
func retryable(err error) bool {
	switch pgCode(err) {
	case codeSerializationFailure, codeDeadlockDetected:
		return true
	}
	return false
}

// hasParam reports whether a connection URL sets a query parameter.
func hasParam(raw, name string) bool {
	u, err := url.Parse(raw)
	if err != nil || !strings.Contains(raw, "://") {
		// A keyword/value string (host=... dbname=...).
		return strings.Contains(raw, name+"=")
	}
	return u.Query().Has(name)
}

// redact keeps a password out of an error about a connection string: pgx
// quotes the string it could not parse, redacting passwords only as far as
// it can tell where they are.
func redact(err error) error {
	var pe *pgconn.ParseConfigError
	if !errors.As(err, &pe) {
		return err
	}
	if inner := pe.Unwrap(); inner != nil {
		return fmt.Errorf("cannot parse the connection string: %w", inner)
	}
	return errors.New("cannot parse the connection string")
}
