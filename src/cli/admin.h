/*
 * admin.h - what the files of `orthrus admin` share: the command's state
 * and its setup (admin.c), and the commands kept in files of their own
 * (import_mit.c).
 */
#ifndef ORTHRUS_CLI_ADMIN_H
#define ORTHRUS_CLI_ADMIN_H

#include <stdbool.h>

#include "base/arena.h"
#include "base/config.h"
#include "db/db.h"

struct admin {
	const char *config_path;
	struct config *cfg;
	struct kdc_config *kc;
	const struct kdc_config_realm *realm;
	struct db_options dbo;
	struct db *db;
	struct arena a;
};

/* Read the configuration, initialise the crypto library, and when need_db
 * open the database (read-write when readwrite).  Errors are reported on
 * stderr; returns non-zero then.  admin_free() in either case. */
int admin_setup(struct admin *ad, bool need_db, bool readwrite);
void admin_free(struct admin *ad);

/* `orthrus admin import-mit DUMPFILE --mit-stash STASH [--dry-run]
 * [--verbose]` (import_mit.c). */
int admin_import_mit(struct admin *ad, int argc, char **argv);

/*
 * A principal's delegation targets (admin_deleg.c): with clear the list is
 * emptied first, then each of ops ("NAME" adds, "-NAME" removes) applied to
 * e (names canonical in the realm, copies in ad->a).  0, or an exit status
 * after a message.
 */
int admin_deleg_apply(struct admin *ad, const char *const *ops, size_t nops, bool clear,
		      struct db_entry *e);
/* "Allowed to delegate to: a, b" (get's text form). */
void admin_deleg_print(const struct db_entry *e);

#endif
