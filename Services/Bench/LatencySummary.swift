/// Percentiles of a set of latencies, in milliseconds; the figures every phase reports.
struct LatencySummary: Codable, Sendable {
    var count: Int
    var p50: Double
    var p90: Double
    var p99: Double
    var max: Double

    /// Nearest-rank percentiles (no interpolation), so every figure is a latency that was actually observed.
    init(milliseconds samples: [Double]) {
        let sorted = samples.sorted()
        count = sorted.count
        func rank(_ quantile: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = Int((quantile * Double(sorted.count)).rounded(.up)) - 1
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, index))]
        }
        p50 = rank(0.50)
        p90 = rank(0.90)
        p99 = rank(0.99)
        max = sorted.last ?? 0
    }
}

extension Duration {
    /// Milliseconds as a floating-point number, for latency statistics.
    var benchMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    /// Seconds as a floating-point number, for rates.
    var benchSeconds: Double { benchMilliseconds / 1000 }
}
