#pragma once
// Finished pieces of a long job (one metric of one checkpoint), recorded as
// small JSON files so a killed `scorch evaluate` resumes where it stopped. A
// unit counts as finished only when its file exists and was written under the
// same settings fingerprint; rank 0 decides and tells the others, so every
// rank skips or redoes the same units.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace scorch {
class Communicator;
}

namespace scorch::evaluation {

class WorkUnits {
 public:
  // Units live in `directory`; `fingerprint` identifies the settings they depend on.
  WorkUnits(std::string directory, std::string fingerprint, Communicator& communicator);

  // The unit's recorded values when it is finished (on rank 0; an empty object on
  // the other ranks), nullopt when it must be (re)done. Collective.
  std::optional<nlohmann::ordered_json> finished(const std::string& name);
  // Records the unit's values (rank 0 writes the file atomically). Collective.
  void record(const std::string& name, const nlohmann::ordered_json& values);

 private:
  std::string path_of(const std::string& name) const;
  std::string directory_, fingerprint_;
  Communicator& communicator_;
};

}  // namespace scorch::evaluation
