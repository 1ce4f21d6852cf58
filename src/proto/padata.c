#include "padata.h"

const PA_DATA *
proto_padata_find(const METHOD_DATA *md, int32_t type)
{
	if (md == NULL)
		return NULL;
	for (size_t i = 0; i < md->len; i++)
		if (md->val[i].padata_type == type)
			return &md->val[i];
	return NULL;
}
