/*
 * string2key.c - `orthrus string2key`: derive a long-term key from a
 * password (RFC 3961 string-to-key) and print it as hex, like Heimdal's
 * string2key.  The password comes from stdin: everything read, minus one
 * trailing newline; from a terminal it is prompted for without echo.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "base/hex.h"
#include "commands.h"
#include "crypto/crypto.h"

#define CMD "string2key"
/* Longest password accepted; longer input is refused, not truncated. */
#define PASSWORD_MAX 65536
/* Longest salt (from --salt, --salt-hex or --principal). */
#define SALT_MAX 4096

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: orthrus string2key --enctype NAME [--salt SALT | "
		"--salt-hex HEX | --principal P]\n"
		"                          [--iterations N]\n\n"
		"Reads the password from stdin (all of it, without one trailing "
		"newline;\nfrom a terminal it prompts without echo) and prints "
		"the key as lowercase\nhex on one line, nothing else.\n\n"
		"  --enctype NAME   aes128-cts-hmac-sha1-96, "
		"aes256-cts-hmac-sha1-96,\n"
		"                   aes128-cts-hmac-sha256-128, "
		"aes256-cts-hmac-sha384-192,\n"
		"                   aliases aes128-cts, aes256-cts, aes128-sha1, "
		"aes256-sha1,\n"
		"                   aes128-sha2, aes256-sha2, or the number\n"
		"  --salt SALT      the salt string\n"
		"  --salt-hex HEX   the salt as hex bytes\n"
		"  --principal P    the default salt of P (name/inst@REALM): the "
		"realm\n"
		"                   followed by the name components (RFC 4120 "
		"§4)\n"
		"  --iterations N   PBKDF2 iteration count, 1..16777216 (default "
		"4096 for\n"
		"                   the sha1 enctypes, 32768 for the sha2 ones)\n\n"
		"Exit status: 0 success, 1 failure, 2 bad arguments.\n");
}

/* Hex to bytes; false on odd length, a bad digit or overflow. */
static bool
parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len_out)
{
	size_t n = strlen(s);

	if (n % 2 != 0 || n / 2 > cap)
		return false;
	for (size_t i = 0; i < n; i += 2) {
		int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*len_out = n / 2;
	return true;
}

/*
 * RFC 4120 §4 default salt of a principal name/inst@REALM: the realm
 * followed by each component, no separators.  Backslash escapes as MIT's
 * krb5_parse_name: \n \t \b \0 and \<any> for the character itself.
 */
static bool
principal_salt(const char *p, uint8_t *out, size_t cap, size_t *len_out)
{
	uint8_t names[SALT_MAX], realm[SALT_MAX];
	size_t nlen = 0, rlen = 0, complen = 0;
	bool in_realm = false;

	for (; *p; p++) {
		char c = *p;
		if (c == '\\') {
			p++;
			switch (*p) {
			case '\0':
				return false; /* trailing backslash */
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'b':
				c = '\b';
				break;
			case '0':
				c = '\0';
				break;
			default:
				c = *p;
			}
		} else if (c == '@') {
			if (in_realm)
				return false;
			in_realm = true;
			continue;
		} else if (c == '/' && !in_realm) {
			if (complen == 0)
				return false; /* empty component */
			complen = 0;
			continue;
		}
		if (in_realm) {
			if (rlen >= sizeof(realm))
				return false;
			realm[rlen++] = (uint8_t)c;
		} else {
			if (nlen >= sizeof(names))
				return false;
			names[nlen++] = (uint8_t)c;
			complen++;
		}
	}
	if (!in_realm || rlen == 0 || complen == 0 || rlen + nlen > cap)
		return false;
	memcpy(out, realm, rlen);
	memcpy(out + rlen, names, nlen);
	*len_out = rlen + nlen;
	return true;
}

/* All of fd, up to cap bytes; -1 on error or when longer than cap. */
static ssize_t
read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	for (;;) {
		ssize_t r = read(fd, buf + n, cap + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > cap)
			return -1;
	}
	return (ssize_t)n;
}

/* One line from the terminal without echo. */
static ssize_t
read_tty(char *buf, size_t cap)
{
	struct termios old, quiet;
	bool restore = false;
	size_t n = 0;

	fputs("Password: ", stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
	}
	for (;;) {
		char c;
		ssize_t r = read(STDIN_FILENO, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (n >= cap) {
			n = cap + 1;
			break;
		}
		buf[n++] = c;
	}
	if (restore)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return n > cap ? -1 : (ssize_t)n;
}

/* "--opt value" or "--opt=value"; advances *i past what it consumed. */
static bool
opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t l = strlen(name);

	if (strncmp(argv[*i], name, l) != 0)
		return false;
	if (argv[*i][l] == '=') {
		*val = argv[*i] + l + 1;
		return true;
	}
	if (argv[*i][l] != '\0')
		return false;
	if (*i + 1 >= argc) {
		*val = NULL;
		return true;
	}
	*val = argv[++*i];
	return true;
}

int
cmd_string2key(int argc, char **argv)
{
	const char *enctype_s = NULL, *salt_s = NULL, *salthex_s = NULL;
	const char *iter_s = NULL, *princ_s = NULL;
	uint8_t salt[SALT_MAX];
	size_t salt_len = 0;
	int32_t enctype;
	uint32_t iterations;
	char *pw = NULL;
	ssize_t pwlen;
	struct crypto_key *key = NULL;
	const uint8_t *kb;
	size_t klen = 0;
	int status = 1;
	orth_err err;

	for (int i = 1; i < argc; i++) {
		const char *v = NULL, **slot = NULL;

		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (opt_value(argc, argv, &i, "--enctype", &v))
			slot = &enctype_s;
		else if (opt_value(argc, argv, &i, "--salt-hex", &v))
			slot = &salthex_s;
		else if (opt_value(argc, argv, &i, "--salt", &v))
			slot = &salt_s;
		else if (opt_value(argc, argv, &i, "--iterations", &v))
			slot = &iter_s;
		else if (opt_value(argc, argv, &i, "--principal", &v))
			slot = &princ_s;
		else {
			cli_error(CMD, "unknown argument '%s' (try --help)",
				  argv[i]);
			return 2;
		}
		if (v == NULL) {
			cli_error(CMD, "%s needs a value", argv[i]);
			return 2;
		}
		if (*slot != NULL) {
			cli_error(CMD, "%s given twice", argv[i]);
			return 2;
		}
		*slot = v;
	}

	if (enctype_s == NULL) {
		cli_error(CMD, "--enctype is required (try --help)");
		return 2;
	}
	if ((enctype = crypto_enctype_from_name(enctype_s)) < 0) {
		cli_error(CMD, "unsupported enctype '%s'", enctype_s);
		return 2;
	}
	if ((salt_s != NULL) + (salthex_s != NULL) + (princ_s != NULL) != 1) {
		cli_error(CMD, "give exactly one of --salt, --salt-hex, "
			       "--principal");
		return 2;
	}
	if (salt_s != NULL) {
		salt_len = strlen(salt_s);
		if (salt_len > sizeof(salt)) {
			cli_error(CMD, "salt too long");
			return 2;
		}
		memcpy(salt, salt_s, salt_len);
	} else if (salthex_s != NULL) {
		if (!parse_hex(salthex_s, salt, sizeof(salt), &salt_len)) {
			cli_error(CMD, "--salt-hex: not an even-length hex "
				       "string");
			return 2;
		}
	} else if (!principal_salt(princ_s, salt, sizeof(salt), &salt_len)) {
		cli_error(CMD, "--principal: '%s' is not name[/inst]@REALM",
			  princ_s);
		return 2;
	}
	iterations = crypto_enctype_default_iterations(enctype);
	if (iter_s != NULL) {
		unsigned long long v = 0;
		const char *p = iter_s;
		if (*p == '\0')
			v = 0;
		for (; *p; p++) {
			if (*p < '0' || *p > '9' || v > 16777216ULL) {
				v = 0;
				break;
			}
			v = v * 10 + (unsigned)(*p - '0');
		}
		if (v == 0 || v > 16777216ULL) {
			cli_error(CMD, "--iterations must be 1..16777216");
			return 2;
		}
		iterations = (uint32_t)v;
	}

	if ((pw = malloc(PASSWORD_MAX + 1)) == NULL) {
		cli_error(CMD, "out of memory");
		goto cleanup;
	}
	if (isatty(STDIN_FILENO)) {
		pwlen = read_tty(pw, PASSWORD_MAX);
	} else {
		pwlen = read_all(STDIN_FILENO, pw, PASSWORD_MAX);
		/* Drop one trailing newline (LF or CR LF). */
		if (pwlen > 0 && pw[pwlen - 1] == '\n') {
			pwlen--;
			if (pwlen > 0 && pw[pwlen - 1] == '\r')
				pwlen--;
		}
	}
	if (pwlen < 0) {
		cli_error(CMD, "cannot read the password (or longer than %d "
			       "bytes)", PASSWORD_MAX);
		goto cleanup;
	}
	err = crypto_string_to_key_iter(enctype, pw, (size_t)pwlen, salt,
					salt_len, iterations, &key);
	if (err != ORTH_OK) {
		cli_error(CMD, "%s", orth_err_str(err));
		goto cleanup;
	}
	kb = crypto_key_bytes(key, &klen);
	for (size_t i = 0; i < klen; i++)
		printf("%02x", kb[i]);
	putchar('\n');
	status = fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
cleanup:
	if (pw != NULL) {
		crypto_wipe(pw, PASSWORD_MAX + 1);
		free(pw);
	}
	crypto_key_free(key);
	return status;
}
