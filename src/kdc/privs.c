/*
 * privs.c - giving up root once the ports are bound.  See privs.h.
 *
 * Without libcap: the few capability calls are plain prctl(2) and the
 * capget/capset system calls (capabilities(7)), and the checks read the
 * same sets back.
 */
#include "privs.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A bound no capability number reaches (cap_last_cap is below 64). */
#define CAP_NUM_MAX 64

/* "1234" as an id; false for anything that is not all digits. */
static bool
parse_id(const char *s, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *out < 0xffffffffUL;
}

orth_err
kdc_privs_resolve(const char *user, const char *group, struct kdc_privs *out, char *err,
		  size_t errlen)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	char buf[4096];
	unsigned long id;

	memset(out, 0, sizeof(*out));
	if (parse_id(user, &id)) {
		out->uid = (uid_t)id;
		(void)getpwuid_r(out->uid, &pw, buf, sizeof(buf), &pwp);
	} else {
		(void)getpwnam_r(user, &pw, buf, sizeof(buf), &pwp);
		if (pwp == NULL) {
			orth_err_format(err, errlen, "user = %s: no such user", user);
			return ORTH_E_NOTFOUND;
		}
		out->uid = pwp->pw_uid;
	}
	if (group == NULL && pwp == NULL) {
		orth_err_format(err, errlen, "user = %s: not in the user database, so it has no "
			"primary group: set group =", user);
		return ORTH_E_NOTFOUND;
	}
	out->gid = pwp != NULL ? pwp->pw_gid : 0;
	snprintf(out->user, sizeof(out->user), "%s", pwp != NULL ? pwp->pw_name : user);
	if (group != NULL) {
		if (parse_id(group, &id)) {
			out->gid = (gid_t)id;
		} else {
			(void)getgrnam_r(group, &gr, buf, sizeof(buf), &grp);
			if (grp == NULL) {
				orth_err_format(err, errlen, "group = %s: no such group", group);
				return ORTH_E_NOTFOUND;
			}
			out->gid = grp->gr_gid;
		}
		snprintf(out->group, sizeof(out->group), "%s", group);
	} else {
		(void)getgrgid_r(out->gid, &gr, buf, sizeof(buf), &grp);
		if (grp != NULL)
			snprintf(out->group, sizeof(out->group), "%s", grp->gr_name);
		else
			snprintf(out->group, sizeof(out->group), "%lu", (unsigned long)out->gid);
	}
	if (out->uid == 0 || out->gid == 0) {
		orth_err_format(err, errlen, "user = %s, group = %s: root's ids are no drop of "
			"privileges: name an unprivileged user", out->user, out->group);
		return ORTH_E_CONFIG;
	}
	return ORTH_OK;
}

static int
cap_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};

	return (int)syscall(SYS_capget, &h, data);
}

static int
cap_set(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};

	return (int)syscall(SYS_capset, &h, data);
}

/* Every capability of the bounding set dropped; the kernel says EINVAL
 * past its last one. */
static bool
bounding_clear(void)
{
	for (int c = 0; c < CAP_NUM_MAX; c++) {
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) < 0)
			return errno == EINVAL;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0)
			return false;
	}
	return true;
}

/* No capability in the effective, permitted, inheritable or ambient set,
 * and no_new_privs; NULL when so, else what is left. */
static const char *
caps_check(void)
{
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (cap_get(data) != 0)
		return "cannot read the capability sets";
	for (int i = 0; i < 2; i++)
		if (data[i].effective || data[i].permitted || data[i].inheritable)
			return "capabilities left in the effective, permitted or inheritable set";
	for (int c = 0; c < CAP_NUM_MAX; c++) {
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) < 0)
			break;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) > 0)
			return "capabilities left in the ambient set";
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return "no_new_privs is not set";
	return NULL;
}

/* Is cap in the effective set? */
static bool
cap_effective(int cap)
{
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	return cap_get(data) == 0 && (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

/* The check after the drop: nothing left to regain root with.  bounding:
 * the bounding set must be empty too (it was ours to empty). */
static const char *
drop_check(const struct kdc_privs *p, bool bounding)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[4];
	int n;

	if (getresuid(&ru, &eu, &su) != 0 || ru != p->uid || eu != p->uid || su != p->uid)
		return "a uid is not the user's";
	if (getresgid(&rg, &eg, &sg) != 0 || rg != p->gid || eg != p->gid || sg != p->gid)
		return "a gid is not the group's";
	n = getgroups(4, groups);
	if (n < 0 || n > 1 || (n == 1 && groups[0] != p->gid))
		return "supplementary groups left";
	/* both must fail: the saved ids are gone and so is CAP_SETUID */
	if (setuid(0) == 0 || setgid(0) == 0 || seteuid(0) == 0)
		return "root could be regained";
	for (int c = 0; bounding && c < CAP_NUM_MAX; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0)
			break;
		if (r != 0)
			return "capabilities left in the bounding set";
	}
	return caps_check();
}

orth_err
kdc_privs_drop(const struct kdc_privs *p, char *err, size_t errlen)
{
	struct __user_cap_data_struct none[2];
	const char *why = NULL;
	int e = 0;
	orth_err ret = ORTH_OK;
	/* Without CAP_SETPCAP (a unit's CapabilityBoundingSet= may leave it
	 * out) the bounding set stays as it is: with the permitted set
	 * empty and no_new_privs, nothing can be taken from it. */
	bool bounding = cap_effective(CAP_SETPCAP);

	if (geteuid() != 0) {
		orth_err_format(err, errlen, "user = %s: only root can become another user "
			"(started as uid %lu)", p->user, (unsigned long)geteuid());
		ret = ORTH_E_PERM;
		goto cleanup;
	}
	memset(none, 0, sizeof(none));
	/* Capabilities first, while CAP_SETPCAP is still there: the
	 * bounding set and the ambient set cannot be emptied after. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		why = "cannot clear the ambient capabilities";
	else if (bounding && !bounding_clear())
		why = "cannot empty the capability bounding set";
	/* keep-caps off (the default, but inherited from whoever started
	 * us): the uid change then empties permitted and effective */
	else if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
		why = "cannot clear keep-caps";
	/* groups, then gid, then uid: after setresuid there is no right
	 * left to change the others */
	else if (setgroups(1, &p->gid) != 0)
		why = "setgroups failed";
	else if (setresgid(p->gid, p->gid, p->gid) != 0)
		why = "setresgid failed";
	else if (setresuid(p->uid, p->uid, p->uid) != 0)
		why = "setresuid failed";
	/* the inheritable set survives a uid change: empty it */
	else if (cap_set(none) != 0)
		why = "cannot empty the capability sets";
	else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		why = "cannot set no_new_privs";
	if (why != NULL) {
		e = errno;
	} else {
		why = drop_check(p, bounding);
	}
	if (why != NULL) {
		if (e != 0)
			orth_err_format(err, errlen, "dropping privileges to %s:%s: %s (%s)",
					p->user, p->group, why, strerror(e));
		else
			orth_err_format(err, errlen, "dropping privileges to %s:%s: %s", p->user,
					p->group, why);
		ret = ORTH_E_INTERNAL;
	}
cleanup:
	return ret;
}

orth_err
kdc_privs_shed(char *err, size_t errlen)
{
	struct __user_cap_data_struct none[2];
	const char *why = NULL;

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		why = "cannot clear the ambient capabilities";
	if (why == NULL) {
		/* without CAP_SETPCAP the bounding set stays: no_new_privs and
		 * an empty permitted set leave nothing to take from it */
		for (int c = 0; c < CAP_NUM_MAX; c++)
			if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) < 0 ||
			    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0)
				break;
		memset(none, 0, sizeof(none));
		if (cap_set(none) != 0)
			why = "cannot empty the capability sets";
		else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
			why = "cannot set no_new_privs";
		else
			why = caps_check();
	}
	if (why != NULL) {
		orth_err_format(err, errlen, "giving up capabilities: %s", why);
		return ORTH_E_INTERNAL;
	}
	return ORTH_OK;
}
