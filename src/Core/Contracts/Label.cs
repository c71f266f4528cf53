namespace FraudStream.Core.Contracts;

/// <summary>Ground truth for one transaction, known only later (a chargeback, an analyst's verdict).</summary>
public sealed record Label(string Id, bool Fraud, DateTime ReportedAt);
