/*
 * hex.h - the value of one hexadecimal digit, for every reader of hex
 * (dump files, MIT dumps, log lines, keys and salts on the command line,
 * the directory).
 */
#ifndef ORTHRUS_BASE_HEX_H
#define ORTHRUS_BASE_HEX_H

/* 0..15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for anything else. */
static inline int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
