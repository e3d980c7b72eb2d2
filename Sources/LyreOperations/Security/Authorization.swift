import LyreCore

/// The one place permission checks are made (security.md §7). Every operation passes
/// through `checkOperation` before it runs; record operations then call the table checks.
enum Authorization {
    /// Refuses super-user-only operations to other roles, with Harper's internal name.
    static func checkOperation(_ name: OperationName, user: User) throws {
        guard !user.isSuperUser else { return }
        if name.isSuperUserOnly {
            throw LyreError.restrictedToSuperUser(name.internalName)
        }
    }
}
