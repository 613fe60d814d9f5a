// The fleet plan for people and for programs, written as hosts are planned: one line per host,
// then what is wrong where; in Markdown each host's own plan collapsed, so a pull-request comment
// stays one screen however large the fleet; JSON one host object after another.
#include "plan/plan_json.hpp"
#include "plan/render.hpp"
#include "session/fleet.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace gpucfg::session {
namespace {

constexpr std::size_t kCommentBudget = 60000;

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s;
}

std::string changes(const HostPlan& h) {
  if (!h.plan) return "-";
  plan::Counts c = plan::count(*h.plan);
  return "+" + std::to_string(c.create) + " ~" + std::to_string(c.update) + " -" +
         std::to_string(c.remove) + " !" + std::to_string(c.run);
}

bool failed(const HostPlan& h) {
  return h.outcome() == "error" || h.outcome() == "fail";
}

class TextSink final : public FleetSink {
public:
  TextSink(std::ostream& out, std::size_t width)
      : m_out(out), m_width(std::max<std::size_t>(width, 4)) {}

  void host(const HostPlan& h, const std::string& manifest) override {
    if (!m_started) {
      m_started = true;
      m_out << "gpucfg fleet plan: " << manifest << "\n\n"
            << pad("host", m_width + 2) << pad("platform", 16) << pad("result", 9)
            << pad("changes", 16) << "errors  warnings\n";
    }
    m_out << pad(h.host, m_width + 2) << pad(h.platform.empty() ? "?" : h.platform, 16)
          << pad(h.outcome(), 9) << pad(changes(h), 16) << pad(std::to_string(h.errors.size()), 8)
          << h.warnings.size() << "\n";
    if (h.errors.empty()) return;
    // Kept until the table ends: the host and its errors, each distinct text stored once.
    Failed f{h.host + " (" + h.facts_file + ")", {}};
    for (const auto& e : h.errors)
      f.errors.push_back(m_texts.emplace(e, m_texts.size()).first->second);
    m_failed.push_back(std::move(f));
  }

  void end(const FleetSummary& s) override {
    if (!m_started) // no host at all
      m_out << "gpucfg fleet plan: " << s.manifest << "\n\n";
    std::vector<const std::string*> text(m_texts.size());
    for (const auto& [t, id] : m_texts)
      text[id] = &t;
    for (const auto& f : m_failed) {
      m_out << "\n" << f.label << ":\n";
      for (auto id : f.errors)
        m_out << "  Error: " << *text[id] << "\n";
    }
    m_out << "\n" << s.sentence() << "\n";
  }

private:
  struct Failed {
    std::string label;
    std::vector<std::size_t> errors;
  };
  std::ostream& m_out;
  std::size_t m_width;
  bool m_started = false;
  std::map<std::string, std::size_t> m_texts;
  std::vector<Failed> m_failed;
};

class MarkdownSink final : public FleetSink {
public:
  explicit MarkdownSink(std::ostream& out) : m_out(out) {}

  void host(const HostPlan& h, const std::string&) override {
    m_table += "| `" + h.host + "` | " + (h.platform.empty() ? "?" : h.platform) + " | " +
               (failed(h) ? "**" + h.outcome() + "**" : h.outcome()) + " | " + changes(h) + " | " +
               std::to_string(h.errors.size()) + " | " + std::to_string(h.warnings.size()) + " |\n";
    for (const auto* list : {&h.errors, h.plan ? &h.plan->errors : nullptr})
      if (list)
        for (const auto& e : *list)
          if (m_where[e].empty() || m_where[e].back() != h.host) m_where[e].push_back(h.host);
    // Only plans that can still fit the comment are kept (failed first, then those that
    // change, then the rest), so memory does not grow with the fleet.
    int rank = h.outcome() == "error"     ? 0
               : h.outcome() == "fail"    ? 1
               : h.outcome() == "changes" ? 2
                                          : 3;
    ++m_seen[rank];
    if (m_kept_bytes[rank] < kCommentBudget) {
      m_kept_bytes[rank] += 200 + (h.plan ? plan::render_text(*h.plan, false).size() : 0);
      m_kept[rank].push_back(h);
    }
  }

  void end(const FleetSummary& s) override {
    std::string out = "**gpucfg fleet plan** `" + s.manifest + "`: " + s.sentence() + "\n\n" +
                      "| host | platform | result | changes | errors | warnings |\n"
                      "| --- | --- | --- | --- | --- | --- |\n" +
                      m_table + "\n";
    // An error several hosts' plans share (a stale lock, a manifest mistake) is one problem:
    // said once, with the hosts it stops, and shortened in each host's plan below.
    std::set<std::string> shared;
    for (const auto& [e, hosts] : m_where)
      if (hosts.size() > 1) {
        shared.insert(e);
        out += "- **error on " + std::to_string(hosts.size()) + " hosts** (" +
               util::join(hosts, ", ") + "): " + e + "\n";
      }
    if (!shared.empty()) out += "\n";
    auto own = [&](std::vector<std::string> errors) {
      for (auto& e : errors)
        if (shared.count(e))
          e = "(shared with other hosts, above) " + (e.size() > 60 ? e.substr(0, 57) + "..." : e);
      return errors;
    };
    std::size_t shown = 0, total = 0;
    for (int rank = 0; rank < 4; ++rank) {
      total += m_seen[rank];
      for (const HostPlan& h : m_kept[rank]) {
        std::string d = "<details><summary><code>" + h.host + "</code>: " + h.outcome() +
                        "</summary>\n\n```text\n";
        if (!h.plan) {
          for (const auto& e : own(h.errors))
            d += "Error: " + e + "\n";
        } else {
          plan::Plan p = *h.plan;
          p.errors = own(p.errors);
          d += plan::render_text(p, false);
        }
        d += "```\n\n</details>\n";
        // GitHub's comments end at 65,536 characters; room is left for what a review adds.
        if (out.size() + d.size() > kCommentBudget) continue;
        out += d;
        ++shown;
      }
    }
    if (shown < total)
      out += "\n" + std::to_string(total - shown) +
             " host plan(s) left out to fit one comment; `gpucfg plan --fleet ... --format json` "
             "has them all.\n";
    m_out << out;
  }

private:
  std::ostream& m_out;
  std::string m_table;
  std::map<std::string, std::vector<std::string>> m_where;
  std::vector<HostPlan> m_kept[4];
  std::size_t m_kept_bytes[4] = {0, 0, 0, 0}, m_seen[4] = {0, 0, 0, 0};
};

class JsonSink final : public FleetSink {
public:
  explicit JsonSink(std::ostream& out) : m_out(out) {}

  void host(const HostPlan& h, const std::string&) override {
    plan::Counts c = h.plan ? plan::count(*h.plan) : plan::Counts{};
    nlohmann::json j = {
        {"host", h.host},
        {"facts", h.facts_file},
        {"platform", h.platform},
        {"result", h.outcome()},
        {"changes",
         {{"add", c.create}, {"change", c.update}, {"destroy", c.remove}, {"run", c.run}}},
        {"errors", h.errors},
        {"warnings", h.warnings}};
    std::string text = j.dump();
    if (h.plan) {
      text.pop_back(); // the closing brace: the plan goes last
      text += ",\"plan\":" + plan_text(h) + "}";
    }
    m_out << (m_first ? "{\"format_version\":1,\"hosts\":[" : ",") << text;
    m_first = false;
  }

  void end(const FleetSummary& s) override {
    // The summary after the hosts: it is known only then, and JSON objects have no order.
    if (m_first) m_out << "{\"format_version\":1,\"hosts\":[";
    m_out << "],\"manifest\":" << nlohmann::json(s.manifest).dump() << ",\"summary\":"
          << nlohmann::json{{"hosts", s.hosts}, {"failed", s.failed}, {"changes", s.changes}}.dump()
          << "}\n";
  }

private:
  // A host's plan as JSON, without the payloads apply needs (archives, file contents): a fleet's
  // JSON is for dashboards and review, and `plan --facts FILE --format json` gives any host in
  // full. Hosts of one kind share one rendering, their names put in its two places.
  std::string plan_text(const HostPlan& h) {
    static const std::string k_host = "\x01"
                                      "host\x01",
                             k_facts = "\x01"
                                       "facts\x01";
    auto it = m_kinds.find(h.kind);
    std::string text;
    if (h.kind && it != m_kinds.end()) {
      text = it->second;
    } else {
      nlohmann::json p = *h.plan;
      for (auto& a : p["actions"]) {
        a["artifacts"] = nlohmann::json::array();
        a["content"] = "";
      }
      p["host"] = k_host;
      p["facts_source"] = k_facts;
      text = p.dump();
      if (m_kinds.size() >= 256) m_kinds.clear();
      if (h.kind) m_kinds.emplace(h.kind, text);
    }
    for (const auto& [mark, value] : {std::pair<std::string, std::string>{k_host, h.plan->host},
                                      {k_facts, h.plan->facts_source}}) {
      std::string quoted = nlohmann::json(mark).dump();
      if (auto at = text.find(quoted); at != std::string::npos)
        text.replace(at, quoted.size(), nlohmann::json(value).dump());
    }
    return text;
  }

  std::ostream& m_out;
  bool m_first = true;
  std::map<std::size_t, std::string> m_kinds;
};

std::string replay(const FleetPlan& f, FleetSink& sink, std::ostringstream& out) {
  FleetSummary s;
  s.manifest = f.manifest;
  for (const auto& h : f.hosts) {
    s.count(h);
    sink.host(h, f.manifest);
  }
  sink.end(s);
  return out.str();
}

} // namespace

std::unique_ptr<FleetSink> fleet_text_sink(std::ostream& out, std::size_t host_width) {
  return std::make_unique<TextSink>(out, host_width);
}

std::unique_ptr<FleetSink> fleet_markdown_sink(std::ostream& out) {
  return std::make_unique<MarkdownSink>(out);
}

std::unique_ptr<FleetSink> fleet_json_sink(std::ostream& out) {
  return std::make_unique<JsonSink>(out);
}

std::string render_fleet_text(const FleetPlan& f) {
  std::size_t w = 4;
  for (const auto& h : f.hosts)
    w = std::max(w, h.host.size());
  std::ostringstream out;
  TextSink sink(out, w);
  return replay(f, sink, out);
}

std::string render_fleet_markdown(const FleetPlan& f) {
  std::ostringstream out;
  MarkdownSink sink(out);
  return replay(f, sink, out);
}

} // namespace gpucfg::session
