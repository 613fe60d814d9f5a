// JSON forms of plans (schemas/plan.schema.json) and generation records.
#pragma once

#include <nlohmann/json.hpp>

#include "plan/model.hpp"
#include "plan/observed.hpp"

namespace gpucfg::plan {

void to_json(nlohmann::json& j, const Check& c);
void from_json(const nlohmann::json& j, Check& c);
void to_json(nlohmann::json& j, const Action& a);
void from_json(const nlohmann::json& j, Action& a);
void to_json(nlohmann::json& j, const Plan& p);
void from_json(const nlohmann::json& j, Plan& p);
void to_json(nlohmann::json& j, const ManagedEntry& e);
void from_json(const nlohmann::json& j, ManagedEntry& e);
void to_json(nlohmann::json& j, const Generation& g);
void from_json(const nlohmann::json& j, Generation& g);

}  // namespace gpucfg::plan
