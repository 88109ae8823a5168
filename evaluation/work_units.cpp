#include "evaluation/work_units.h"

#include "common/communicator.h"
#include "common/durable_file.h"
#include "common/log.h"

#include <ATen/ATen.h>

#include <filesystem>
#include <fstream>

namespace scorch::evaluation {

WorkUnits::WorkUnits(std::string directory, std::string fingerprint, Communicator& communicator)
    : directory_(std::move(directory)), fingerprint_(std::move(fingerprint)), communicator_(communicator) {
  if (communicator_.rank() == 0) std::filesystem::create_directories(directory_);
}

std::string WorkUnits::path_of(const std::string& name) const { return directory_ + "/" + name + ".json"; }

std::optional<nlohmann::ordered_json> WorkUnits::finished(const std::string& name) {
  nlohmann::ordered_json values = nlohmann::ordered_json::object();
  at::Tensor done = at::zeros({1}, at::kInt);
  if (communicator_.rank() == 0) {
    std::ifstream in(path_of(name));
    if (in) {
      // A torn or foreign file is not an error: the unit is simply redone.
      const nlohmann::ordered_json unit = nlohmann::ordered_json::parse(in, nullptr, /*allow_exceptions=*/false);
      if (unit.is_object() && unit.value("fingerprint", "") == fingerprint_ && unit.contains("values")) {
        values = unit["values"];
        done.fill_(1);
      }
    }
  }
  at::Tensor on_wire = done.to(communicator_.device());
  communicator_.broadcast(on_wire, 0);
  if (on_wire.cpu().item<int>() == 0) return std::nullopt;
  log::info("{}: finished earlier, reusing its result", name);
  return values;
}

void WorkUnits::record(const std::string& name, const nlohmann::ordered_json& values) {
  if (communicator_.rank() == 0) {
    const nlohmann::ordered_json unit = {{"fingerprint", fingerprint_}, {"values", values}};
    write_text_file_atomically(path_of(name), unit.dump(2) + "\n");
  }
  communicator_.barrier();
}

}  // namespace scorch::evaluation
