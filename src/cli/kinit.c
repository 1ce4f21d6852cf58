/*
 * kinit.c - `orthrus kinit`: get a TGT (or, with -S, a ticket for a
 * service) with a password or a keytab and store it in a cache; -R
 * renews, -v validates a postdated one.  Options, messages and exit codes
 * as MIT's kinit: -f/-F -p/-P -l -r -s -C -E -A -V -k [-t] -c -S; -k
 * without a name uses host/<canonical host name>.  With a DIR: collection
 * as the default cache (and no -c) a principal goes to its own cache of
 * the collection, which becomes the primary (as MIT does).  Usage errors
 * exit 2, failures 1.
 */
#include <getopt.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <orthrus/base.h>
#include <orthrus/ccache.h>
#include <orthrus/client.h>

#include "commands.h"
#include "ktools.h"

static void
usage(FILE *f)
{
	fprintf(f, "Usage: orthrus kinit [-V] [-l lifetime] [-s start_time] [-r renewable_life]\n"
		   "\t[-f | -F] [-p | -P] [-A] [-C] [-E] [-v] [-R]\n"
		   "\t[-k [-t keytab_file]] [-c cachename] [-S service_name] [-T armor_ccache]\n"
		   "\t[principal]\n"
		   "    options:\n"
		   "\t-V verbose\n"
		   "\t-l lifetime\n"
		   "\t-s start time\n"
		   "\t-r renewable lifetime\n"
		   "\t-f forwardable\n"
		   "\t-F not forwardable\n"
		   "\t-p proxiable\n"
		   "\t-P not proxiable\n"
		   "\t-A do not include addresses (the only way: Orthrus never sends any)\n"
		   "\t-v validate\n"
		   "\t-R renew\n"
		   "\t-C canonicalize\n"
		   "\t-E client is enterprise principal name\n"
		   "\t-k use keytab\n"
		   "\t-t filename of keytab to use\n"
		   "\t-c Kerberos 5 cache name\n"
		   "\t-S service\n"
		   "\t-T armor credential cache (FAST, RFC 6113)\n");
}

static int
parse_life(const char *s, int64_t *out)
{
	return orthrus_duration_parse(s, out) == ORTHRUS_OK && *out > 0 ? 0 : -1;
}

struct kinit_opts {
	struct orthrus_init_opts o;
	const char *ccname, *keytab, *princ;
	bool verbose, use_kt, renew, validate;
};

/*
 * The cache to write and the principal (MIT's k5_begin): the name given,
 * else host/<canonical host> for -k, else the principal of the cache -c
 * names, else the default cache's, else the login name.  Without -c and
 * with a DIR: collection as the default: the principal's existing cache
 * of the collection, or a new one when the primary belongs to someone
 * else; *switch_out then asks to make it the primary afterwards.
 * *cc_out: the cache name (malloc'd); *princ_out: the principal (buf).
 */
static int
choose(struct orthrus_context *ctx, const struct kinit_opts *k, char *buf,
       size_t cap, char **cc_out, bool *switch_out)
{
	struct orthrus_ccache *cc = NULL, *found = NULL;
	struct orthrus_principal *p = NULL, *me = NULL;
	char *defname = NULL, *s = NULL;
	const char *name;
	orth_err e;
	int rc = -1;

	*cc_out = NULL;
	*switch_out = false;
	if (k->ccname == NULL &&
	    orthrus_default_ccache_name(ctx, &defname) != ORTHRUS_OK) {
		cli_error("kinit", "while getting default ccache");
		goto out;
	}
	if (orthrus_ccache_resolve(ctx, k->ccname != NULL ? k->ccname : defname,
				   &cc) != ORTHRUS_OK)
		cc = NULL;
	else if (orthrus_ccache_principal(ctx, cc, &p) != ORTHRUS_OK)
		p = NULL;
	if (k->princ != NULL) {
		snprintf(buf, cap, "%s", k->princ);
	} else if (k->use_kt) {
		if (orthrus_host_service_name(ctx, "host", NULL, &s) != ORTHRUS_OK) {
			cli_error("kinit", "%s when creating default server principal name",
				  orthrus_error_message(ctx, ORTHRUS_E_CONFIG));
			goto out;
		}
		snprintf(buf, cap, "%s", s);
	} else if (p != NULL && orthrus_principal_unparse(p, &s) == ORTHRUS_OK) {
		snprintf(buf, cap, "%s", s);
	} else {
		struct passwd *pw = getpwuid(getuid());
		if (pw == NULL) {
			fprintf(stderr, "Unable to identify user\n");
			goto out;
		}
		snprintf(buf, cap, "%s", pw->pw_name);
	}
	if (k->ccname != NULL) {
		*cc_out = strdup(k->ccname);
	} else if (orthrus_ccache_supports_switch(ctx, defname) && !k->renew &&
		   !k->validate && orthrus_principal_parse(ctx, buf, &me) == ORTHRUS_OK &&
		   !(p != NULL && orthrus_principal_equal(p, me))) {
		/* MIT: the principal's own cache of the collection. */
		if (orthrus_ccache_match(ctx, defname, me, &found) == ORTHRUS_OK) {
			name = orthrus_ccache_name(found);
			if (k->verbose)
				fprintf(stderr, "Using existing cache: %s\n",
					strchr(name, ':') + 1);
			*cc_out = strdup(name);
			*switch_out = true;
		} else if (p != NULL) {
			e = orthrus_ccache_new_unique(ctx, defname, &found);
			if (e != ORTHRUS_OK) {
				cli_error("kinit", "%s while generating new ccache",
					  orthrus_error_message(ctx, e));
				goto out;
			}
			name = orthrus_ccache_name(found);
			if (k->verbose)
				fprintf(stderr, "Using new cache: %s\n",
					strchr(name, ':') + 1);
			*cc_out = strdup(name);
			*switch_out = true;
		}
	}
	if (*cc_out == NULL && k->ccname == NULL) {
		name = cc != NULL ? orthrus_ccache_name(cc) : defname;
		if (k->verbose)
			fprintf(stderr, "Using default cache: %s\n",
				cc != NULL ? strchr(name, ':') + 1 : name);
		*cc_out = strdup(name);
	} else if (k->ccname != NULL && k->verbose) {
		fprintf(stderr, "Using specified cache: %s\n", k->ccname);
	}
	if (*cc_out == NULL)
		goto out;
	rc = 0;
out:
	free(s);
	free(defname);
	orthrus_principal_free(p);
	orthrus_principal_free(me);
	orthrus_ccache_close(cc);
	orthrus_ccache_close(found);
	return rc;
}

/* The options; 0 or the exit status of a usage error (2). */
static int
parse_args(int argc, char **argv, struct kinit_opts *k)
{
	static const struct option longopts[] = {
		{"noforwardable", no_argument, NULL, 'F'},
		{"noproxiable", no_argument, NULL, 'P'},
		{"forwardable", no_argument, NULL, 'f'},
		{"proxiable", no_argument, NULL, 'p'},
		{"noaddresses", no_argument, NULL, 'A'},
		{"canonicalize", no_argument, NULL, 'C'},
		{"enterprise", no_argument, NULL, 'E'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	bool f = false, F = false, p = false, P = false;
	int c, errs = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "Vl:s:r:fFpPAaCEnvRkit:c:S:T:h",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'V': k->verbose = true; break;
		case 'l':
			if (parse_life(optarg, &k->o.lifetime) != 0) {
				fprintf(stderr, "Bad lifetime value %s\n", optarg);
				errs++;
			}
			break;
		case 'r':
			if (parse_life(optarg, &k->o.renew_life) != 0) {
				fprintf(stderr, "Bad lifetime value %s\n", optarg);
				errs++;
			}
			break;
		case 's':
			if (parse_life(optarg, &k->o.start_time) != 0) {
				fprintf(stderr, "Bad start time value %s\n", optarg);
				errs++;
			}
			break;
		case 'f': f = true; break;
		case 'F': F = true; break;
		case 'p': p = true; break;
		case 'P': P = true; break;
		case 'A': break;  /* no addresses: what we always do */
		case 'a':
			fprintf(stderr, "Addresses in tickets (-a) are not supported\n");
			errs++;
			break;
		case 'n':
			fprintf(stderr, "Anonymous tickets (-n) are not supported\n");
			errs++;
			break;
		case 'i':
			fprintf(stderr, "The default client keytab (-i) is not supported; use -t\n");
			errs++;
			break;
		case 'C': k->o.canonicalize = 1; break;
		case 'E': k->o.enterprise = 1; break;
		case 'v': k->validate = true; break;
		case 'R': k->renew = true; break;
		case 'k': k->use_kt = true; break;
		case 't':
			if (k->keytab != NULL) {
				fprintf(stderr, "Only one -t option allowed.\n");
				errs++;
			}
			k->keytab = optarg;
			break;
		case 'c':
			if (k->ccname != NULL) {
				fprintf(stderr, "Only one -c option allowed\n");
				errs++;
			}
			k->ccname = optarg;
			break;
		case 'S': k->o.service = optarg; break;
		case 'T': k->o.armor_ccache = optarg; break;  /* FAST, RFC 6113 */
		case 'h': usage(stdout); return -1;
		default: errs++; break;
		}
	}
	if (f && F) {
		fprintf(stderr, "Only one of -f and -F allowed\n");
		errs++;
	}
	if (p && P) {
		fprintf(stderr, "Only one of -p and -P allowed\n");
		errs++;
	}
	if (k->renew && k->validate)
		errs++;
	if (k->keytab != NULL && !k->use_kt) {
		k->use_kt = true;
		fprintf(stderr, "keytab specified, forcing -k\n");
	}
	if (argc - optind > 1) {
		fprintf(stderr, "Extra arguments (starting with \"%s\").\n",
			argv[optind + 1]);
		errs++;
	}
	if (errs) {
		usage(stderr);
		return 2;
	}
	k->o.forwardable = f ? 1 : F ? -1 : 0;
	k->o.proxiable = p ? 1 : P ? -1 : 0;
	k->princ = optind < argc ? argv[optind] : NULL;
	return 0;
}

int
cmd_kinit(int argc, char **argv)
{
	struct kinit_opts k;
	struct orthrus_context *ctx = NULL;
	char name[1024], pw[1024];
	char *ccout = NULL;
	bool do_switch = false;
	const char *doing = "getting initial credentials";
	orth_err e;
	int rc = 1;

	memset(&k, 0, sizeof(k));
	rc = parse_args(argc, argv, &k);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	rc = 1;
	e = orthrus_context_new(NULL, &ctx);
	if (e != ORTHRUS_OK) {
		cli_error("kinit", "cannot read krb5.conf: %s", orthrus_context_error());
		return 1;
	}
	if (choose(ctx, &k, name, sizeof(name), &ccout, &do_switch) != 0)
		goto out;
	if (k.verbose) {
		struct orthrus_principal *vp = NULL;
		char *vs = NULL;
		if (!k.o.enterprise &&
		    orthrus_principal_parse(ctx, name, &vp) == ORTHRUS_OK &&
		    orthrus_principal_unparse(vp, &vs) == ORTHRUS_OK)
			fprintf(stderr, "Using principal: %s\n", vs);
		else
			fprintf(stderr, "Using principal: %s\n", name);
		free(vs);
		orthrus_principal_free(vp);
	}
	if (k.renew || k.validate) {
		doing = k.renew ? "renewing credentials" : "validating credentials";
		e = k.renew ? orthrus_renew_tgt(ctx, ccout)
			    : orthrus_validate_tgt(ctx, ccout);
	} else if (k.use_kt) {
		if (k.verbose && k.keytab != NULL)
			fprintf(stderr, "Using keytab: %s\n", k.keytab);
		e = orthrus_get_init_creds_keytab(ctx, name, k.keytab, &k.o, ccout);
	} else {
		char prompt[1120];
		if (strchr(name, '@') == NULL && orthrus_default_realm(ctx) != NULL)
			snprintf(prompt, sizeof(prompt), "Password for %s@%s: ", name,
				 orthrus_default_realm(ctx));
		else
			snprintf(prompt, sizeof(prompt), "Password for %s: ", name);
		if (ktools_secret_read(prompt, pw, sizeof(pw)) != 0) {
			cli_error("kinit", "Cannot read password while getting initial credentials");
			goto out;
		}
		e = orthrus_get_init_creds_password(ctx, name, pw, &k.o, ccout);
		explicit_bzero(pw, sizeof(pw));
	}
	if (e != ORTHRUS_OK) {
		const char *m = orthrus_error_message(ctx, e);
		cli_error("kinit", "%s%s%s", m, strstr(m, " while ") ? "" : " while ",
			  strstr(m, " while ") ? "" : doing);
		goto out;
	}
	if (do_switch) {
		struct orthrus_ccache *cc = NULL;
		e = orthrus_ccache_resolve(ctx, ccout, &cc);
		if (e == ORTHRUS_OK)
			e = orthrus_ccache_switch(ctx, cc);
		orthrus_ccache_close(cc);
		if (e != ORTHRUS_OK) {
			cli_error("kinit", "%s while switching to new ccache",
				  orthrus_error_message(ctx, e));
			goto out;
		}
	}
	if (k.verbose)
		fprintf(stderr, "Authenticated to Kerberos v5\n");
	rc = 0;
out:
	free(ccout);
	orthrus_context_free(ctx);
	return rc;
}
