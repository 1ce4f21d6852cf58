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

/* `orthrus admin migrate --to ldap [--quiet]` (admin_ldap.c). */
int admin_migrate(struct admin *ad, int argc, char **argv);
/*
 * When ad's realm is in a directory (db_library = kldap), make every
 * write transaction of ad->db go to the directory first (db.h
 * "Forwarding writes"): a write the directory refuses or cannot take is
 * not made locally either, and the command fails.  0, or non-zero after
 * an error on stderr.  admin_directory_detach (NULL db fine) undoes it.
 */
int admin_directory_attach(struct admin *ad);
void admin_directory_detach(struct admin *ad);

#endif
