// The table of render modes: the built-in rows (mode_<name>.c) and the modes registered
// at run time, looked up by name.
#include "render/render.h"

#include "core/error.h"

#include <stdio.h>
#include <string.h>

#define MAX_MODES 32

static const cr_render_mode_type *table[MAX_MODES] = {
    &cr_render_mode_drr,     &cr_render_mode_mip,   &cr_render_mode_volume,
    &cr_render_mode_surface, &cr_render_mode_probe, &cr_render_mode_mesh,
};
static int n_modes = 6;

int cr_render_mode_count(void) {
  return n_modes;
}

const cr_render_mode_type *cr_render_mode_at(int i) {
  return i >= 0 && i < n_modes ? table[i] : NULL;
}

const cr_render_mode_type *cr_render_mode_find(const char *name) {
  for (int i = 0; name && i < n_modes; i++)
    if (!strcmp(name, table[i]->name)) return table[i];
  char known[512] = "";
  size_t len = 0;
  for (int i = 0; i < n_modes && len < sizeof known; i++)
    len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "", table[i]->name);
  cr_error(CR_EINVAL, "unknown render mode '%s' (%s)", name ? name : "(null)", known);
  return NULL;
}

int cr_render_mode_register(const cr_render_mode_type *type) {
  if (!type || !type->name || !type->name[0] || !type->create || !type->destroy || !type->render)
    return cr_error(CR_EINVAL, "render: a mode needs a name, create, destroy and render");
  for (int i = 0; i < n_modes; i++)
    if (!strcmp(type->name, table[i]->name))
      return cr_error(CR_EINVAL, "render: a mode named '%s' exists already", type->name);
  if (n_modes == MAX_MODES)
    return cr_error(CR_EINVAL, "render: the mode table is full (%d modes)", MAX_MODES);
  table[n_modes++] = type;
  return 0;
}
