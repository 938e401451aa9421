"""SQL of the audit table's append-only triggers, shared by migration 0002 and the
test suite (which lifts them around Django's flush; see the root conftest.py)."""

SQLITE_CREATE = [
    """CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON accounts_auditrecord
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;""",
    """CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON accounts_auditrecord
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;""",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS audit_no_update;", "DROP TRIGGER IF EXISTS audit_no_delete;"]

POSTGRES_CREATE = [
    """CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON accounts_auditrecord
       FOR EACH ROW EXECUTE FUNCTION audit_append_only();""",
    """CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON accounts_auditrecord
       FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS audit_no_update_delete ON accounts_auditrecord;",
    "DROP TRIGGER IF EXISTS audit_no_truncate ON accounts_auditrecord;",
    "DROP FUNCTION IF EXISTS audit_append_only();",
]

CREATE = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}
DROP = {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}

# test-only: statements run before and after Django's flush of all tables
LIFT_FOR_FLUSH = {
    "sqlite": (SQLITE_DROP, SQLITE_CREATE),
    "postgresql": (
        ["ALTER TABLE accounts_auditrecord DISABLE TRIGGER USER;"],
        ["ALTER TABLE accounts_auditrecord ENABLE TRIGGER USER;"],
    ),
}
