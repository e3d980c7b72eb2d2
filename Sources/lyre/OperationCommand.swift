import ArgumentParser
import Foundation
import LyreCore
import LyreOperations

/// `lyre <operation> key=value ...` (or `lyre operation <operation> ...`): sends one
/// operation to a running server and prints the JSON answer, as Harper's CLI does.
struct OperationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operation",
        abstract: "Send one operation to a running server and print the answer (lyre <operation> key=value ...).",
        discussion: """
            The operation name may be given directly after `lyre`, as with Harper's CLI:

              lyre describe_table database=dev table=dog
              lyre create_table database=dev table=dog primary_key=id
              lyre insert database=dev table=dog records='[{"id":1,"name":"Penny"}]'
              lyre search_by_id database=dev table=dog ids='[1]' get_attributes='["*"]'
              lyre sql sql='SELECT * FROM dev.dog'

            Each parameter is key=value. A value that is JSON (a number, true, false, null, \
            an array or an object, or a "quoted string") is sent as that JSON value; anything \
            else is sent as a string. Quote values for the shell.

            The answer is printed as indented JSON on stdout (non-JSON answers as they are). \
            The exit status is 0 when the server answers 2xx, 1 otherwise (the error answer is \
            still printed) or when the server cannot be reached.

            Without a URL, the command talks to the server of the root (--root, $LYRE_ROOT or \
            ./lyre-data) over its Unix domain socket (operationsApi.network.domainSocket, by \
            default <root>/operations-server) when that socket exists, as Harper's CLI does; \
            there no credentials are needed (only the server's user can open the socket). \
            Otherwise it uses http://127.0.0.1:9925.

            Environment (flags win):
              CLI_TARGET, LYRE_URL                        server URL (default: the domain socket, else http://127.0.0.1:9925)
              CLI_TARGET_USERNAME, HDB_ADMIN_USERNAME     user (default HDB_ADMIN when a password is set)
              CLI_TARGET_PASSWORD, HDB_ADMIN_PASSWORD     password; without one no Authorization is sent
            """
    )

    @Argument(help: ArgumentHelp("The operation, e.g. describe_all, create_database, insert, sql.", valueName: "operation"))
    var operation: String

    @Argument(help: ArgumentHelp("The operation's parameters, e.g. database=dev ids='[1,2]'.", valueName: "key=value"))
    var parameters: [String] = []

    @Option(help: ArgumentHelp("Server URL (default: $CLI_TARGET, $LYRE_URL or http://127.0.0.1:9925).", valueName: "url"))
    var url: String?

    @Option(help: ArgumentHelp("Root folder whose server's domain socket is used when no URL is given (default: $LYRE_ROOT or ./lyre-data).",
                               valueName: "dir"))
    var root: String?

    @Option(help: ArgumentHelp("User name (default: $CLI_TARGET_USERNAME, $HDB_ADMIN_USERNAME or HDB_ADMIN).", valueName: "name"))
    var username: String?

    @Option(help: ArgumentHelp("Password (default: $CLI_TARGET_PASSWORD or $HDB_ADMIN_PASSWORD; prefer the environment, flags are visible to other users).",
                               valueName: "password"))
    var password: String?

    @Flag(help: "Print the answer as compact JSON on one line.")
    var compact = false

    func run() throws {
        let request: Value
        do {
            request = try OperationArguments.request(operation: operation, arguments: parameters)
        } catch {
            throw ValidationError(error.description)
        }
        let environment = ProcessInfo.processInfo.environment
        func setting(_ flag: String?, _ names: String...) -> String? {
            if let flag { return flag }
            return names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        }
        var headers = ["Content-Type: application/json"]
        if let password = setting(password, "CLI_TARGET_PASSWORD", "HDB_ADMIN_PASSWORD") {
            let username = setting(username, "CLI_TARGET_USERNAME", "HDB_ADMIN_USERNAME") ?? "HDB_ADMIN"
            headers.append("Authorization: Basic " + Data("\(username):\(password)".utf8).base64EncodedString())
        }
        let response: CLIHTTPClient.Response
        do {
            let target: CLIHTTPClient.Target
            if let given = setting(url, "CLI_TARGET", "LYRE_URL") {
                target = try CLIHTTPClient.Target(url: given)
            } else if let socket = Self.domainSocket(root: ServerControl(root: root).root) {
                target = CLIHTTPClient.Target(socketPath: socket)
            } else {
                target = try CLIHTTPClient.Target(url: "http://127.0.0.1:9925")
            }
            do {
                response = try CLIHTTPClient.request(target, method: "POST", headers: headers, body: JSON.encode(request))
            } catch {
                throw CLIHTTPClient.Failure("\(error) (is the server running? `lyre status`)")
            }
        } catch {
            CLIOutput.error("\(error)")
            throw ExitCode.failure
        }
        if let answer = try? JSON.parse(response.body) {
            print(compact ? JSON.string(answer) : PrettyJSON.string(answer))
        } else {
            let text = String(decoding: response.body, as: UTF8.self)
            print(text, terminator: text.hasSuffix("\n") || text.isEmpty ? "" : "\n")
        }
        if !(200..<300).contains(response.status) { throw ExitCode.failure }
    }
}

extension OperationCommand {
    /// The root's `operationsApi.network.domainSocket` (from its configuration file, else
    /// Harper's default `<root>/operations-server`) when a socket is there.
    static func domainSocket(root: String) -> String? {
        let configured = (try? ConfigurationFile.read(root: root))
            .flatMap { $0["operationsApi"]?["network"]?["domainSocket"] }
        let path: String
        switch configured {
        case .string(let text)?: path = text
        case .null?: return nil
        default: path = root + "/operations-server"
        }
        var status = stat()
        guard !path.isEmpty, stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFSOCK else { return nil }
        return path
    }
}

/// Messages for people on stderr, prefixed `lyre: `.
enum CLIOutput {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("lyre: \(message)\n".utf8))
    }

    static func note(_ message: String) { error(message) }
}
