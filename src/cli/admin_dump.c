/*
 * admin_dump.c - `orthrus admin dump FILE` and `load FILE`: the realm as text
 * (src/db/dump.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "base/file.h"
#include "commands.h"
#include "db/db.h"
#include "db/dump.h"

#define CMD "admin"

/*
 * The dump is src/db/dump.h's text format (docs/DUMP.md): one line per
 * principal and policy with named fields.  Keys stay sealed under the
 * master key; the file is mode 0600.
 */
int
admin_dump(struct admin *ad, int argc, char **argv)
{
	struct file_replace r = {0};
	struct db_dump_info info;
	orth_err ret;
	FILE *f = NULL;
	int fd;

	if (argc != 2) {
		cli_error(CMD, "dump: need FILE");
		return 2;
	}
	if (admin_setup(ad, true, false))
		return 1;
	/* The dump holds the sealed keys: a file only we can read, created
	 * beside FILE under a name nobody can plant (base/file.h). */
	ret = file_replace_begin(argv[1], 0600, &r);
	fd = ret == ORTH_OK ? dup(r.fd) : -1;
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		cli_error(CMD, "dump: cannot write %s: %s", argv[1],
			  ret != ORTH_OK ? orth_err_str(ret) : strerror(errno));
		if (fd >= 0)
			close(fd);
		file_replace_abort(&r);
		return 1;
	}
	ret = db_dump_write(ad->db, f, &info);
	if (fflush(f) != 0 && ret == ORTH_OK)
		ret = orth_err_from_errno(errno);
	if (fclose(f) != 0 && ret == ORTH_OK)
		ret = orth_err_from_errno(errno);
	if (ret == ORTH_OK)
		ret = file_replace_commit(&r);  /* fsync, rename */
	file_replace_abort(&r);
	if (ret != ORTH_OK) {
		cli_error(CMD, "dump: %s: %s", argv[1], orth_err_str(ret));
		return 1;
	}
	printf("dumped %zu principals and %zu policies to %s\n", info.nprinc, info.npol,
	       argv[1]);
	return 0;
}

int
admin_load(struct admin *ad, int argc, char **argv)
{
	FILE *f = NULL;
	struct db_dump_info info;
	bool created = false;
	orth_err ret;
	char err[512] = "";
	int rc = 1;
	struct stat st;

	if (argc != 2) {
		cli_error(CMD, "load: need FILE");
		return 2;
	}
	if (admin_setup(ad, false, true))
		return 1;
	f = fopen(argv[1], "r");
	if (f == NULL) {
		cli_error(CMD, "load: cannot read %s: %s", argv[1], strerror(errno));
		return 1;
	}
	/* header first, so a wrong file is refused before anything changes */
	ret = db_dump_read_header(f, &info, err, sizeof(err));
	if (ret != ORTH_OK) {
		if (info.line == 1)
			cli_error(CMD, "load: %s is %s", argv[1], err);
		else
			cli_error(CMD, "load: %s:%u: %s", argv[1], info.line, err);
		goto cleanup;
	}
	if (strcmp(info.realm, ad->realm->name) != 0) {
		cli_error(CMD, "load: %s is a dump of realm %s, not %s", argv[1], info.realm,
			  ad->realm->name);
		goto cleanup;
	}
	if (stat(ad->dbo.path, &st) == 0) {
		ret = db_open(&ad->dbo, &ad->db, err, sizeof(err));
	} else {
		/* a new database under the existing stash (the dump's keys are
		 * encrypted under that master key) */
		ret = db_create(&ad->dbo, ad->realm->master_key_type, NULL, true, &ad->db, err,
				sizeof(err));
		created = ret == ORTH_OK;
	}
	if (ret != ORTH_OK) {
		cli_error(CMD, "load: %s", err[0] ? err : orth_err_str(ret));
		goto cleanup;
	}
	/* A realm in a directory: the load goes there first (admin_setup
	 * did not open the database), and replaces what the directory
	 * holds, not only what this host has seen. */
	if (admin_directory_attach(ad) != 0 || admin_directory_refresh(ad) != 0)
		goto cleanup;
	err[0] = '\0';
	ret = db_dump_load(ad->db, f, &info, err, sizeof(err));
	if (ret == ORTH_E_MASTERKEY)
		cli_error(CMD, "load: %s:%u: wrong master key: the dump was made under another "
			  "master key than the stash %s", argv[1], info.line, ad->dbo.stash_path);
	else if (ret == ORTH_E_NOSPACE)
		cli_error(CMD, "load: database full (LMDB map size or disk); nothing was loaded");
	else if (ret != ORTH_OK)
		cli_error(CMD, "load: %s:%u: %s; nothing was loaded", argv[1], info.line,
			  err[0] ? err : orth_err_str(ret));
	if (ret != ORTH_OK)
		goto cleanup;
	printf("loaded %zu principals and %zu policies from %s\n", info.nprinc, info.npol,
	       argv[1]);
	rc = 0;
cleanup:
	if (rc != 0 && created) {
		db_close(ad->db);
		ad->db = NULL;
		db_remove_files(ad->dbo.path);
	}
	fclose(f);
	return rc;
}
