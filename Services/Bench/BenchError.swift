/// Why a benchmark run could not finish: the stack is unreachable, misconfigured, or lost events.
struct BenchError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
