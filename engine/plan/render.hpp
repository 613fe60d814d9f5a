// Plans for people: text in the style Terraform users know (+ create, ~ update, - delete,
// ! run, and a summary line), and Markdown for pull-request comments. Deterministic.
#pragma once

#include "plan/model.hpp"

#include <string>

namespace gpucfg::plan {

struct Counts {
  int create = 0, update = 0, remove = 0, run = 0;
};
Counts count(const Plan& p);
std::string summary_line(const Plan& p); // "Plan: 3 to add, 1 to change, 0 to destroy, 1 to run."

std::string render_text(const Plan& p, bool explain);
std::string render_markdown(const Plan& p);

} // namespace gpucfg::plan
