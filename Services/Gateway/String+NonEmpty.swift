extension String {
    /// nil for an empty string: optional fields sent as "" mean absent.
    var nonEmpty: String? { isEmpty ? nil : self }
}
