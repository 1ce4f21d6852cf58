/*
 * admin_deleg.c - a principal's constrained-delegation targets in `orthrus
 * admin` (db.h's deleg; MIT's LDAP attribute krbAllowedToDelegateTo, which
 * MIT's own database lacks): `modify NAME --allowed-to-delegate-to
 * [-]TARGET` adds (removes) a service S4U2Proxy may reach for NAME's users
 * (src/kdc/s4u.c), `--clear-allowed-to-delegate-to` empties the list, and
 * `get` shows it.
 */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "commands.h"
#include "proto/principal.h"

#define CMD "admin"

int
admin_deleg_apply(struct admin *ad, const char *const *ops, size_t nops, bool clear,
		  struct db_entry *e)
{
	if (clear)
		e->ndeleg = 0;
	for (size_t i = 0; i < nops; i++) {
		bool del = ops[i][0] == '-';
		const char *text = del ? ops[i] + 1 : ops[i];
		struct principal p;
		char buf[DB_MAX_NAME + 1];
		size_t at;

		/* Canonical, in the realm: the KDC compares the names of the
		 * database entries (cross-realm S4U is not supported). */
		if (principal_parse(text, ad->realm->name, &ad->a, &p) != ORTH_OK ||
		    strcmp(p.realm, ad->realm->name) != 0 ||
		    principal_unparse(&p, buf, sizeof(buf), NULL) != ORTH_OK) {
			cli_error(CMD, "--allowed-to-delegate-to: bad name or not in realm %s: '%s'",
				  ad->realm->name, text);
			return 2;
		}
		for (at = 0; at < e->ndeleg && strcmp(e->deleg[at], buf) != 0; at++)
			;
		if (del) {
			if (at == e->ndeleg) {
				cli_error(CMD, "%s may not delegate to %s: nothing to remove",
					  e->name, buf);
				return 1;
			}
			memmove(&e->deleg[at], &e->deleg[at + 1],
				(e->ndeleg - at - 1) * sizeof(e->deleg[0]));
			e->ndeleg--;
			continue;
		}
		if (at < e->ndeleg)
			continue;
		if (e->ndeleg == DB_MAX_DELEG) {
			cli_error(CMD, "%s: more than %d delegation targets", e->name, DB_MAX_DELEG);
			return 1;
		}
		e->deleg[e->ndeleg] = arena_strndup(&ad->a, buf, strlen(buf));
		if (e->deleg[e->ndeleg] == NULL)
			return 1;
		e->ndeleg++;
	}
	return 0;
}

void
admin_deleg_print(const struct db_entry *e)
{
	printf("Allowed to delegate to:");
	if (e->ndeleg == 0)
		printf(" (none)");
	for (size_t i = 0; i < e->ndeleg; i++)
		printf("%s %s", i ? "," : "", e->deleg[i]);
	printf("\n");
}
