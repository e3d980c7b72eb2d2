/// Every operation name of the Harper 4.x Operations API (spec README §7), with the
/// internal handler name Harper uses in permission messages (§4.4), whether it is
/// restricted to super users, and the canonical operation an alias stands for.
package enum OperationName: String, Sendable, CaseIterable {
    case describeAll = "describe_all"
    case describeDatabase = "describe_database"
    case describeSchema = "describe_schema"
    case describeTable = "describe_table"
    case createDatabase = "create_database"
    case createSchema = "create_schema"
    case dropDatabase = "drop_database"
    case dropSchema = "drop_schema"
    case createTable = "create_table"
    case dropTable = "drop_table"
    case createAttribute = "create_attribute"
    case dropAttribute = "drop_attribute"
    case getBackup = "get_backup"
    /// Lyre's own: compacts one database file online (docs/compatibility.md).
    case compactDatabase = "compact_database"
    case cleanupOrphanBlobs = "cleanup_orphan_blobs"
    case insert = "insert"
    case update = "update"
    case upsert = "upsert"
    case delete = "delete"
    case searchById = "search_by_id"
    case searchByHash = "search_by_hash"
    case searchByValue = "search_by_value"
    case searchByConditions = "search_by_conditions"
    case deleteRecordsBefore = "delete_records_before"
    case deleteFilesBefore = "delete_files_before"
    case sql = "sql"
    case csvDataLoad = "csv_data_load"
    case csvFileLoad = "csv_file_load"
    case csvUrlLoad = "csv_url_load"
    case importFromS3 = "import_from_s3"
    case exportToS3 = "export_to_s3"
    case exportLocal = "export_local"
    case getJob = "get_job"
    case searchJobsByStartDate = "search_jobs_by_start_date"
    /// Beyond Harper: stops a queued or running job (docs/jobs.md).
    case cancelJob = "cancel_job"
    case listRoles = "list_roles"
    case addRole = "add_role"
    case alterRole = "alter_role"
    case dropRole = "drop_role"
    case listUsers = "list_users"
    case userInfo = "user_info"
    case addUser = "add_user"
    case alterUser = "alter_user"
    case dropUser = "drop_user"
    case createAuthenticationTokens = "create_authentication_tokens"
    case refreshOperationToken = "refresh_operation_token"
    case login = "login"
    case logout = "logout"
    case readLog = "read_log"
    case readTransactionLog = "read_transaction_log"
    case deleteTransactionLogsBefore = "delete_transaction_logs_before"
    case readAuditLog = "read_audit_log"
    case deleteAuditLogsBefore = "delete_audit_logs_before"
    case getConfiguration = "get_configuration"
    case setConfiguration = "set_configuration"
    case restart = "restart"
    case restartService = "restart_service"
    case systemInformation = "system_information"
    case setStatus = "set_status"
    case getStatus = "get_status"
    case clearStatus = "clear_status"
    case catchup = "catchup"
    case registrationInfo = "registration_info"
    case getFingerprint = "get_fingerprint"
    case setLicense = "set_license"
    case installUsageLicense = "install_usage_license"
    case getUsageLicenses = "get_usage_licenses"
    case getAnalytics = "get_analytics"
    case listMetrics = "list_metrics"
    case describeMetric = "describe_metric"
    case addCertificate = "add_certificate"
    case removeCertificate = "remove_certificate"
    case listCertificates = "list_certificates"
    case addNode = "add_node"
    case updateNode = "update_node"
    case setNodeReplication = "set_node_replication"
    case removeNode = "remove_node"
    case clusterStatus = "cluster_status"
    case clusterNetwork = "cluster_network"
    case configureCluster = "configure_cluster"
    case clusterSetRoutes = "cluster_set_routes"
    case clusterGetRoutes = "cluster_get_routes"
    case clusterDeleteRoutes = "cluster_delete_routes"
    case purgeStream = "purge_stream"
    case addComponent = "add_component"
    case deployComponent = "deploy_component"
    case packageComponent = "package_component"
    case dropComponent = "drop_component"
    case getComponents = "get_components"
    case getComponentFile = "get_component_file"
    case setComponentFile = "set_component_file"
    case addSshKey = "add_ssh_key"
    case updateSshKey = "update_ssh_key"
    case deleteSshKey = "delete_ssh_key"
    case listSshKeys = "list_ssh_keys"
    case setSshKnownHosts = "set_ssh_known_hosts"
    case getSshKnownHosts = "get_ssh_known_hosts"
    case installNodeModules = "install_node_modules"
    case customFunctionsStatus = "custom_functions_status"
    case getCustomFunctions = "get_custom_functions"
    case getCustomFunction = "get_custom_function"
    case setCustomFunction = "set_custom_function"
    case dropCustomFunction = "drop_custom_function"
    case addCustomFunctionProject = "add_custom_function_project"
    case dropCustomFunctionProject = "drop_custom_function_project"
    case packageCustomFunctionProject = "package_custom_function_project"
    case deployCustomFunctionProject = "deploy_custom_function_project"
    case addWafRule = "add_waf_rule"
    case alterWafRule = "alter_waf_rule"
    case dropWafRule = "drop_waf_rule"
    case listWafRules = "list_waf_rules"
    case setWafMode = "set_waf_mode"

    /// The operation an alias stands for (`create_schema` → `create_database`), else itself.
    /// The operation named `name`, through a table built once: the synthesized
    /// `init(rawValue:)` compares `name` with each of the cases in turn, which every request
    /// paid (twice) before its handler ran.
    package static func named(_ name: String) -> OperationName? {
        byName[name]
    }

    private static let byName: [String: OperationName] =
        Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })

    package var canonical: OperationName {
        switch self {
        case .createSchema: .createDatabase
        case .dropSchema: .dropDatabase
        case .describeSchema: .describeDatabase
        case .searchByHash: .searchById
        case .deleteFilesBefore: .deleteRecordsBefore
        case .addCustomFunctionProject: .addComponent
        case .packageCustomFunctionProject: .packageComponent
        case .deployCustomFunctionProject: .deployComponent
        default: self
        }
    }

    /// Restricted to super users (spec README §7, column SU).
    package var isSuperUserOnly: Bool {
        switch self {
        case .createDatabase, .createSchema, .dropDatabase, .dropSchema, .createTable, .dropTable, .dropAttribute, .getBackup, .compactDatabase, .cleanupOrphanBlobs, .deleteRecordsBefore, .deleteFilesBefore, .exportLocal, .exportToS3, .searchJobsByStartDate, .listRoles, .addRole, .alterRole, .dropRole, .listUsers, .addUser, .alterUser, .dropUser, .readLog, .readTransactionLog, .deleteTransactionLogsBefore, .readAuditLog, .deleteAuditLogsBefore, .getConfiguration, .setConfiguration, .restart, .restartService, .systemInformation, .setStatus, .getStatus, .clearStatus, .catchup, .getFingerprint, .setLicense, .installUsageLicense, .getUsageLicenses, .addCertificate, .removeCertificate, .listCertificates, .addNode, .updateNode, .setNodeReplication, .removeNode, .clusterStatus, .clusterNetwork, .configureCluster, .clusterSetRoutes, .clusterGetRoutes, .clusterDeleteRoutes, .purgeStream, .addComponent, .deployComponent, .packageComponent, .dropComponent, .getComponents, .getComponentFile, .setComponentFile, .addSshKey, .updateSshKey, .deleteSshKey, .listSshKeys, .setSshKnownHosts, .getSshKnownHosts, .installNodeModules, .customFunctionsStatus, .getCustomFunctions, .getCustomFunction, .setCustomFunction, .dropCustomFunction, .addCustomFunctionProject, .dropCustomFunctionProject, .packageCustomFunctionProject, .deployCustomFunctionProject, .addWafRule, .alterWafRule, .dropWafRule, .listWafRules, .setWafMode: true
        default: false
        }
    }

    /// The name Harper's messages use for this operation (spec README §4.4).
    package var internalName: String {
        switch self {
        case .createDatabase: "createSchema"
        case .createSchema: "createSchema"
        case .dropDatabase: "dropSchema"
        case .dropSchema: "dropSchema"
        case .createTable: "createTable"
        case .dropTable: "dropTable"
        case .createAttribute: "createAttribute"
        case .dropAttribute: "dropAttribute"
        case .getBackup: "getBackup"
        case .deleteRecordsBefore: "deleteFilesBefore"
        case .deleteFilesBefore: "deleteFilesBefore"
        case .exportLocal: "export_local"
        case .exportToS3: "export_to_s3"
        case .searchJobsByStartDate: "handleGetJobsByStartDate"
        case .listRoles: "listRoles"
        case .addRole: "addRole"
        case .alterRole: "alterRole"
        case .dropRole: "dropRole"
        case .listUsers: "listUsersExternal"
        case .addUser: "addUser"
        case .alterUser: "alterUser"
        case .dropUser: "dropUser"
        case .readLog: "readLog"
        case .readTransactionLog: "readTransactionLog"
        case .deleteTransactionLogsBefore: "deleteTransactionLogsBefore"
        case .readAuditLog: "readAuditLog"
        case .deleteAuditLogsBefore: "deleteAuditLogsBefore"
        case .getConfiguration: "getConfiguration"
        case .setConfiguration: "setConfiguration"
        case .restart: "restart"
        case .restartService: "restartService"
        case .systemInformation: "systemInformation"
        case .setStatus: "set"
        case .getStatus: "get"
        case .clearStatus: "clear"
        case .addComponent: "addComponent"
        case .deployComponent: "deployComponent"
        case .packageComponent: "packageComponent"
        case .dropComponent: "dropComponent"
        case .getComponents: "getComponents"
        case .getComponentFile: "getComponentFile"
        case .setComponentFile: "setComponentFile"
        case .installNodeModules: "installModules"
        case .customFunctionsStatus: "customFunctionsStatus"
        case .getCustomFunctions: "getCustomFunctions"
        case .getCustomFunction: "getCustomFunction"
        case .setCustomFunction: "setCustomFunction"
        case .dropCustomFunction: "dropCustomFunction"
        case .addCustomFunctionProject: "addComponent"
        case .dropCustomFunctionProject: "dropCustomFunctionProject"
        case .packageCustomFunctionProject: "packageComponent"
        case .deployCustomFunctionProject: "deployComponent"
        default: "\(rawValue.split(separator: "_").enumerated().map { $0.offset == 0 ? String($0.element) : $0.element.prefix(1).uppercased() + $0.element.dropFirst() }.joined())"
        }
    }
}
