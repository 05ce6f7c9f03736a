// Private to experiments/: the SVG figures of the experiment report (report_svg.c).
#ifndef CR_EXP_REPORT_INTERNAL_H
#define CR_EXP_REPORT_INTERNAL_H

#include "experiments/results.h"

#include <stdio.h>

// Writes s with &, <, >, ' and " escaped for HTML text and attributes.
void cr_exp_html_escape(FILE *f, const char *s);

// Colour of method k (an HTML #rrggbb from a fixed palette of saturated colours; the
// report's test looks for them in the screenshot).
const char *cr_exp_report_colour(int k);

// Writes the figures as <figure class="fig"> elements with inline SVG: final vs initial
// mTRE, success rate per initial-mTRE bin, depth vs in-plane error, time per method.
// Methods are `methods[0..n_methods)` in colour order; rows may be in any order.
void cr_exp_report_figures(FILE *f, const cr_exp_row *rows, long n_rows,
                           const cr_exp_method_summary *methods, int n_methods, double success_mm);

#endif
