#include "provenance/slsa_provenance.h"

#include <fmt/format.h>

#include "provenance/signed_statement.h"

namespace citadel::provenance {
namespace {

Json DescriptorJson(const ResourceDescriptor& d) {
  Json j = {{"name", d.name}, {"digest", {{"sha256", d.sha256}}}};
  if (!d.uri.empty()) j["uri"] = d.uri;
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  return j;
}

bool IsSha256Hex(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// A JSON object member of the expected type, or an error naming its path.
Result<const Json*> Member(const Json& object, const char* key, Json::value_t type,
                           std::string_view path) {
  if (!object.is_object() || !object.contains(key)) {
    return InvalidArgumentError(fmt::format("provenance: {}.{} is missing", path, key));
  }
  const Json& value = object[key];
  const bool ok =
      type == Json::value_t::number_unsigned ? value.is_number_unsigned() : value.type() == type;
  if (!ok) {
    return InvalidArgumentError(
        fmt::format("provenance: {}.{} has the wrong type ({})", path, key, value.type_name()));
  }
  return &value;
}

Result<std::string> StringMember(const Json& object, const char* key, std::string_view path) {
  ASSIGN_OR_RETURN(const Json* value, Member(object, key, Json::value_t::string, path));
  return value->get<std::string>();
}

Result<std::vector<ResourceDescriptor>> Descriptors(const Json& list, std::string_view path) {
  if (!list.is_array())
    return InvalidArgumentError(fmt::format("provenance: {} is not a list", path));
  std::vector<ResourceDescriptor> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string at = fmt::format("{}[{}]", path, i);
    ResourceDescriptor d;
    if (list[i].contains("name")) {
      ASSIGN_OR_RETURN(d.name, StringMember(list[i], "name", at));
    }
    if (list[i].contains("uri")) {
      ASSIGN_OR_RETURN(d.uri, StringMember(list[i], "uri", at));
    }
    ASSIGN_OR_RETURN(const Json* digest, Member(list[i], "digest", Json::value_t::object, at));
    ASSIGN_OR_RETURN(d.sha256, StringMember(*digest, "sha256", at + ".digest"));
    if (!IsSha256Hex(d.sha256)) {
      return InvalidArgumentError(
          fmt::format("provenance: {}.digest.sha256 is not a SHA-256 digest", at));
    }
    if (list[i].contains("annotations")) {
      ASSIGN_OR_RETURN(const Json* a, Member(list[i], "annotations", Json::value_t::object, at));
      d.annotations = *a;
    }
    out.push_back(std::move(d));
  }
  return out;
}

Result<RunProvenance> Parse(const Json& statement) {
  RunProvenance p;
  if (statement.value("_type", "") != kStatementType) {
    return InvalidArgumentError("provenance: _type is not an in-toto Statement v1");
  }
  ASSIGN_OR_RETURN(std::string predicate_type,
                   StringMember(statement, "predicateType", "statement"));
  if (predicate_type != kSlsaPredicateType) {
    return InvalidArgumentError(
        fmt::format("provenance: predicateType is {}, not {}", predicate_type, kSlsaPredicateType));
  }
  ASSIGN_OR_RETURN(const Json* subjects,
                   Member(statement, "subject", Json::value_t::array, "statement"));
  ASSIGN_OR_RETURN(p.subjects, Descriptors(*subjects, "subject"));
  if (p.subjects.empty()) return InvalidArgumentError("provenance: the statement has no subject");

  ASSIGN_OR_RETURN(const Json* predicate,
                   Member(statement, "predicate", Json::value_t::object, "statement"));
  ASSIGN_OR_RETURN(const Json* build,
                   Member(*predicate, "buildDefinition", Json::value_t::object, "predicate"));
  ASSIGN_OR_RETURN(p.build_type, StringMember(*build, "buildType", "buildDefinition"));
  ASSIGN_OR_RETURN(const Json* external,
                   Member(*build, "externalParameters", Json::value_t::object, "buildDefinition"));
  p.external_parameters = *external;
  if (build->contains("internalParameters")) {
    ASSIGN_OR_RETURN(const Json* internal, Member(*build, "internalParameters",
                                                  Json::value_t::object, "buildDefinition"));
    p.internal_parameters = *internal;
  }
  if (build->contains("resolvedDependencies")) {
    ASSIGN_OR_RETURN(p.dependencies, Descriptors((*build)["resolvedDependencies"],
                                                 "buildDefinition.resolvedDependencies"));
  }

  ASSIGN_OR_RETURN(const Json* details,
                   Member(*predicate, "runDetails", Json::value_t::object, "predicate"));
  ASSIGN_OR_RETURN(const Json* builder,
                   Member(*details, "builder", Json::value_t::object, "runDetails"));
  ASSIGN_OR_RETURN(p.builder_id, StringMember(*builder, "id", "runDetails.builder"));
  if (builder->contains("version")) p.builder_version = (*builder)["version"];
  ASSIGN_OR_RETURN(const Json* metadata,
                   Member(*details, "metadata", Json::value_t::object, "runDetails"));
  ASSIGN_OR_RETURN(p.invocation_id, StringMember(*metadata, "invocationId", "runDetails.metadata"));
  ASSIGN_OR_RETURN(p.started_on, StringMember(*metadata, "startedOn", "runDetails.metadata"));
  ASSIGN_OR_RETURN(p.finished_on, StringMember(*metadata, "finishedOn", "runDetails.metadata"));
  return p;
}

}  // namespace

Json ProvenanceStatement(const RunProvenance& p) {
  Json subjects = Json::array(), dependencies = Json::array();
  for (const ResourceDescriptor& d : p.subjects) subjects.push_back(DescriptorJson(d));
  for (const ResourceDescriptor& d : p.dependencies) dependencies.push_back(DescriptorJson(d));
  Json builder = {{"id", p.builder_id}};
  if (!p.builder_version.empty()) builder["version"] = p.builder_version;
  return {{"_type", kStatementType},
          {"subject", subjects},
          {"predicateType", kSlsaPredicateType},
          {"predicate",
           {{"buildDefinition",
             {{"buildType", p.build_type},
              {"externalParameters", p.external_parameters},
              {"internalParameters", p.internal_parameters},
              {"resolvedDependencies", dependencies}}},
            {"runDetails",
             {{"builder", builder},
              {"metadata",
               {{"invocationId", p.invocation_id},
                {"startedOn", p.started_on},
                {"finishedOn", p.finished_on}}}}}}}};
}

Result<RunProvenance> ParseProvenanceStatement(const Json& statement) {
  try {
    return Parse(statement);
  } catch (const Json::exception& e) {
    return InvalidArgumentError(fmt::format("provenance: malformed statement ({})", e.what()));
  }
}

}  // namespace citadel::provenance
