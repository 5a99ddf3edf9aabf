// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * inventory.c - the services' data table in SQLite (see inventory.h).
 */
#include "inventory.h"

#include <arpa/inet.h>
#include <sqlite3.h>
#include <string.h>

struct inventory {
	sqlite3 *db;
	char *path;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS services ("
	" id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, vm TEXT NOT NULL,"
	" address TEXT NOT NULL, state TEXT NOT NULL, dns TEXT NOT NULL,"
	" error TEXT NOT NULL DEFAULT '', updated INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS services_vm ON services (vm);";

static bool db_error(struct inventory *inv, GError **error, const char *what)
{
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "inventory %s: %s: %s",
		    inv->path, what, sqlite3_errmsg(inv->db));
	return false;
}

struct inventory *inventory_open(const char *path, GError **error)
{
	struct inventory *inv = g_new0(struct inventory, 1);
	char *msg = NULL;

	inv->path = g_strdup(path);
	if (sqlite3_open_v2(path, &inv->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		db_error(inv, error, "cannot open");
		inventory_close(inv);
		return NULL;
	}
	sqlite3_busy_timeout(inv->db, 1000);
	if (sqlite3_exec(inv->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    "inventory %s: cannot create the table: %s", path, msg);
		sqlite3_free(msg);
		inventory_close(inv);
		return NULL;
	}
	return inv;
}

void inventory_close(struct inventory *inv)
{
	if (!inv)
		return;
	sqlite3_close(inv->db);
	g_free(inv->path);
	g_free(inv);
}

static bool valid_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= 64 && g_regex_match_simple("^[A-Za-z0-9_.-]+$", s, 0, 0);
}

/* A domain name: labels of letters, digits, '-' and '_', an optional final dot. */
static bool valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= 253 &&
	       g_regex_match_simple("^([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\\.)*"
				    "[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\\.?$",
				    s, 0, 0);
}

static bool valid_address(const char *s)
{
	unsigned char buf[16];

	return s && (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

/* Prepare @sql and bind the strings @v[0..n-1] (NULL binds NULL). */
static sqlite3_stmt *prepare(struct inventory *inv, const char *sql,
			     const char *const *v, int n, GError **error)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(inv->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_error(inv, error, "bad statement");
		return NULL;
	}
	for (int i = 0; i < n; i++)
		sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_TRANSIENT);
	return st;
}

bool inventory_add(struct inventory *inv, const char *id, const char *name,
		   const char *vm, const char *address, GError **error)
{
	const char *v[] = { id, name, vm, address };
	sqlite3_stmt *st;
	int rc;

	if (!valid_id(id)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "service id '%s' is not 1 to 64 of A-Z a-z 0-9 _ . -", id ? id : "");
		return false;
	}
	if (!valid_name(name)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "service %s: '%s' is not a domain name", id, name ? name : "");
		return false;
	}
	if (!vm || !*vm) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "service %s: no VM", id);
		return false;
	}
	if (!valid_address(address)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "service %s: '%s' is not a numeric IPv4 or IPv6 address", id,
			    address ? address : "");
		return false;
	}
	st = prepare(inv, "INSERT INTO services (id, name, vm, address, state, dns, updated)"
		     " VALUES (?1, ?2, ?3, ?4, 'live', 'pending', strftime('%s', 'now'))",
		     v, G_N_ELEMENTS(v), error);
	if (!st)
		return false;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
			    "service %s: the id or the name %s is taken", id, name);
		return false;
	}
	return rc == SQLITE_DONE || db_error(inv, error, "cannot add");
}

bool inventory_remove(struct inventory *inv, const char *id, GError **error)
{
	const char *v[] = { id };
	sqlite3_stmt *st = prepare(inv, "DELETE FROM services WHERE id = ?1", v, 1, error);
	int rc;

	if (!st)
		return false;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(inv, error, "cannot remove");
	if (sqlite3_changes(inv->db) == 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no service '%s'", id);
		return false;
	}
	return true;
}

static char *column(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return g_strdup(t ? (const char *)t : "");
}

#define COLUMNS "id, name, vm, address, state, dns, error, updated"

static struct inv_service *row(sqlite3_stmt *st)
{
	struct inv_service *s = g_new0(struct inv_service, 1);

	s->id = column(st, 0);
	s->name = column(st, 1);
	s->vm = column(st, 2);
	s->address = column(st, 3);
	s->state = column(st, 4);
	s->dns = column(st, 5);
	s->error = column(st, 6);
	s->updated = sqlite3_column_int64(st, 7);
	return s;
}

GPtrArray *inventory_list(struct inventory *inv, const char *vm, GError **error)
{
	const char *v[] = { vm };
	sqlite3_stmt *st = prepare(inv, vm ? "SELECT " COLUMNS " FROM services WHERE vm = ?1"
				   " ORDER BY id" : "SELECT " COLUMNS " FROM services ORDER BY id",
				   v, vm ? 1 : 0, error);
	GPtrArray *a;
	int rc;

	if (!st)
		return NULL;
	a = g_ptr_array_new_with_free_func((GDestroyNotify)inv_service_free);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(a, row(st));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(a);
		db_error(inv, error, "cannot list");
		return NULL;
	}
	return a;
}

struct inv_service *inventory_get(struct inventory *inv, const char *id, GError **error)
{
	const char *v[] = { id };
	sqlite3_stmt *st = prepare(inv, "SELECT " COLUMNS " FROM services WHERE id = ?1", v, 1,
				   error);
	struct inv_service *s = NULL;
	int rc;

	if (!st)
		return NULL;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		s = row(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no service '%s'", id);
	else if (!s)
		db_error(inv, error, "cannot read");
	return s;
}

bool inventory_set(struct inventory *inv, const char *id, const char *address,
		   const char *state, const char *dns, const char *dns_error,
		   GError **error)
{
	const char *v[] = { id, address, state, dns, dns_error };
	sqlite3_stmt *st;
	int rc;

	if (address && !valid_address(address)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "service %s: '%s' is not a numeric IPv4 or IPv6 address", id, address);
		return false;
	}
	st = prepare(inv, "UPDATE services SET address = coalesce(?2, address),"
		     " state = coalesce(?3, state), dns = coalesce(?4, dns),"
		     " error = coalesce(?5, error), updated = strftime('%s', 'now')"
		     " WHERE id = ?1", v, G_N_ELEMENTS(v), error);
	if (!st)
		return false;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(inv, error, "cannot update");
	if (sqlite3_changes(inv->db) == 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no service '%s'", id);
		return false;
	}
	return true;
}

void inv_service_free(struct inv_service *s)
{
	if (!s)
		return;
	g_free(s->id);
	g_free(s->name);
	g_free(s->vm);
	g_free(s->address);
	g_free(s->state);
	g_free(s->dns);
	g_free(s->error);
	g_free(s);
}
