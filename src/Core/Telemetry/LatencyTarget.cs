namespace FraudStream.Core.Telemetry;

/// <summary>
/// The end-to-end latency target, from one setting (<c>Decisions:TargetMs</c>, <c>--target-ms</c>): the reporter's
/// "within target", the dashboard's target line and the /metrics histogram buckets all read this one value.
/// </summary>
public sealed record LatencyTarget(double Milliseconds);
