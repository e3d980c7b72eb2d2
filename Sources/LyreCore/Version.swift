/// Lyre's version, reported by `lyre version` and `system_information`.
public enum LyreVersion {
    public static let string = "0.1.0"
    /// The Harper version whose Operations API Lyre speaks.
    public static let harperCompatibility = "4.6.0"
}
