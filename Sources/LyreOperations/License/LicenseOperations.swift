import Crypto
import Foundation
import LyreCore
import LyreStorage

/// Registration and licensing (logs-config-system.md §8), stored in `system.hdb_license`.
///
/// Documented divergence: Harper's legacy license keys use a proprietary scheme Lyre cannot
/// verify, so `set_license` accepts any non-empty key/company pair and stores it. Usage
/// licenses (`install_usage_license`) are verified: Ed25519 over `header.payload` with one of
/// `Configuration.usageLicensePublicKeys`, which `licensing.issuerKeys` sets (`IssuerKeys`).
enum LicenseOperations {
    static func register(into registry: inout OperationRegistry) {
        registry.register(.registrationInfo, .sync(registrationInfo))
        registry.register(.getFingerprint, .sync(getFingerprint))
        registry.register(.setLicense, .async(setLicense))
        registry.register(.installUsageLicense, .async(installUsageLicense))
        registry.register(.getUsageLicenses, .sync(getUsageLicenses))
    }

    static let legacyID = "legacy-license"
    /// Harper's free-tier RAM allocation in MB, reported without a license **(inferred)**.
    static let defaultRAMAllocation: Int64 = 512
    static let usageCounters = ["reads", "readBytes", "writes", "writeBytes", "realTimeMessages", "realTimeBytes"]

    private static func licenseTable(_ context: OperationContext) throws -> (Database, TableDefinition) {
        guard let db = context.app.storage.database(StorageEngine.systemDatabase),
              let table = db.table(SystemDatabase.licenseTable) else {
            throw LyreError.tableNotFound(StorageEngine.systemDatabase, SystemDatabase.licenseTable)
        }
        return (db, table)
    }

    // MARK: registration_info, get_fingerprint, set_license

    @Sendable static func registrationInfo(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        let (db, table) = try licenseTable(context)
        let legacy = try db.read { try $0.record(in: table, id: .string(legacyID)) }
        var o = JSONObject()
        o.appendUnchecked("registered", .bool(legacy != nil))
        o.appendUnchecked("version", .string(LyreVersion.harperCompatibility))
        o.appendUnchecked("ram_allocation", legacy?["ram_allocation"] ?? .int(defaultRAMAllocation))
        o.appendUnchecked("license_expiration_date", legacy?["exp_date"] ?? .null)
        return .json(.object(o))
    }

    @Sendable static func getFingerprint(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        .message(try fingerprint())
    }

    /// SHA-256 of the host's machine id (or host name), hex: stable across restarts on one host.
    static func fingerprint() throws -> String {
        var seed = ["/etc/machine-id", "/var/lib/dbus/machine-id"].lazy
            .compactMap { FileManager.default.contents(atPath: $0) }
            .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
            .first { !$0.isEmpty } ?? ""
        seed += "|" + ProcessInfo.processInfo.hostName
        guard seed.count > 1 else { throw LyreError(.internalError, status: 500, "Error generating fingerprint.") }
        return SHA256.hash(data: Data(seed.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    @Sendable static func setLicense(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        guard let key = request["key"]?.stringValue, !key.trimmingCharacters(in: .whitespaces).isEmpty,
              let company = request["company"]?.stringValue, !company.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw LyreError(.badRequest, status: 400, "Invalid key or company specified for license file.")
        }
        let (db, table) = try licenseTable(context)
        var record = JSONObject()
        record.appendUnchecked("id", .string(legacyID))
        record.appendUnchecked("type", "legacy")
        record.appendUnchecked("license_key", .string(key))
        record.appendUnchecked("company", .string(company))
        record.appendUnchecked("fingerprint", .string(try fingerprint()))
        record.appendUnchecked("ram_allocation", .int(defaultRAMAllocation))
        record.appendUnchecked("exp_date", .null)
        let name = table.name
        let stored = record
        _ = try await db.write { ctx in try ctx.write([stored], mode: .upsert, to: name).written.count }
        return .message("Wrote license key file.  Registration successful.")
    }

    // MARK: Usage licenses

    /// A decoded, verified usage license's payload. - Throws: the reason it is refused.
    static func verify(_ text: String, keys: [[UInt8]]) throws -> JSONObject {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw UsageLicenseProblem("the license must be three base64url blocks separated by '.'") }
        guard let headerBytes = base64URL(parts[0]), case .object(let header)? = try? JSON.parse(headerBytes) else {
            throw UsageLicenseProblem("the license header is not base64url-encoded JSON")
        }
        guard header["typ"] == "Harper-License", header["alg"] == "EdDSA" else {
            throw UsageLicenseProblem(#"the license header must be {"typ": "Harper-License", "alg": "EdDSA"}"#)
        }
        guard let payloadBytes = base64URL(parts[1]), case .object(let payload)? = try? JSON.parse(payloadBytes) else {
            throw UsageLicenseProblem("the license payload is not base64url-encoded JSON")
        }
        guard let signature = base64URL(parts[2]), signature.count == 64 else {
            throw UsageLicenseProblem("the license signature is not a base64url Ed25519 signature")
        }
        guard case .string(let id)? = payload["id"], !id.isEmpty else { throw UsageLicenseProblem("'id' is required") }
        for field in ["level"] + usageCounters where payload[field]?.isNumber != true {
            throw UsageLicenseProblem("'\(field)' must be a number")
        }
        for field in ["cpuTime", "storage"] where payload[field] != nil && payload[field]?.isNumber != true {
            throw UsageLicenseProblem("'\(field)' must be a number")
        }
        guard let expiration = payload["expiration"]?.stringValue, LogTime.parse(expiration) != nil else {
            throw UsageLicenseProblem("'expiration' must be an ISO date")
        }
        guard !keys.isEmpty else {
            throw UsageLicenseProblem("no license issuer key is configured (\(IssuerKeys.configurationPath))")
        }
        let signed = Data((parts[0] + "." + parts[1]).utf8)
        let valid = keys.contains { raw in
            (try? Curve25519.Signing.PublicKey(rawRepresentation: raw))?.isValidSignature(signature, for: signed) == true
        }
        guard valid else { throw UsageLicenseProblem("the license signature is invalid") }
        return payload
    }

    static func base64URL(_ text: Substring) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }

    @Sendable static func installUsageLicense(_ request: Request, _ context: OperationContext) async throws -> OutgoingResponse.Body {
        guard let text = request["license"]?.stringValue, !text.isEmpty else {
            throw LyreError.validation("Failed to install usage license; 'license' is required")
        }
        let payload: JSONObject
        do {
            payload = try verify(text, keys: context.app.configuration.usageLicensePublicKeys)
        } catch let problem as UsageLicenseProblem {
            throw LyreError.validation("Failed to install usage license; \(problem.reason)")
        }
        let id = payload["id"]!.stringValue!
        let (db, table) = try licenseTable(context)
        var record = JSONObject()
        record.appendUnchecked("id", .string(id))
        record.appendUnchecked("type", "usage")
        record.appendUnchecked("license", .string(text))
        for entry in payload where entry.key != "id" { record.appendUnchecked(entry.key, entry.value) }
        let name = table.name
        let stored = record
        let written = try await db.write { ctx in try ctx.write([stored], mode: .insert, to: name).written.count }
        guard written == 1 else {
            throw LyreError.validation("Failed to install usage license; A usage license with \(id) already exists")
        }
        return .message("Successfully installed usage license")
    }

    @Sendable static func getUsageLicenses(_ request: Request, _ context: OperationContext) throws -> OutgoingResponse.Body {
        let region = request["region"]?.stringValue
        let (db, table) = try licenseTable(context)
        let records = try db.read { try $0.allRecords(in: table) }
            .filter { $0["type"] == "usage" && (region == nil || $0["region"]?.stringValue == region) }
            .sorted { ($0[TableDefinition.createdTime]?.doubleValue ?? 0) < ($1[TableDefinition.createdTime]?.doubleValue ?? 0) }
        return .json(.array(records.map { record in
            var o = JSONObject()
            for field in ["id", "level", "region"] { o.appendUnchecked(field, record[field] ?? .null) }
            for counter in usageCounters {
                o.appendUnchecked(counter, record[counter] ?? .null)
                let used = "used" + counter.prefix(1).uppercased() + counter.dropFirst()
                o.appendUnchecked(used, record[used] ?? .int(0))
            }
            if let cpu = record["cpuTime"] {
                o.appendUnchecked("cpuTime", cpu)
                o.appendUnchecked("usedCpuTime", record["usedCpuTime"] ?? .int(0))
            }
            if let storage = record["storage"] { o.appendUnchecked("storage", storage) }
            o.appendUnchecked("expiration", record["expiration"] ?? .null)
            return .object(o)
        }))
    }
}

struct UsageLicenseProblem: Error, Sendable {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}
