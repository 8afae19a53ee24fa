import LogServiceAPI
import Messages
import Storage
import Testing

/// The log service's OpenAPI document (`Shared/LogServiceAPI/openapi.json`) is the contract; these tests fail
/// when the code's statuses or kinds gain or lose a value the document does not have.
@Suite struct LogServiceContractTests {
    @Test("the document's log statuses, configuration log kinds and destination kinds are the code's")
    func enumerations() {
        #expect(
            Set(Components.Schemas.LogStatus.allCases.map(\.rawValue))
                == Set(Messages.LogStatus.allCases.map(\.rawValue)))
        #expect(
            Set(Components.Schemas.ConfigLogKind.allCases.map(\.rawValue))
                == Set(ConfigLogEntry.Kind.allCases.map(\.rawValue)))
        #expect(
            Set(Components.Schemas.DestinationKind.allCases.map(\.rawValue))
                == Set(Messages.DestinationKind.allCases.map(\.rawValue)))
    }
}
