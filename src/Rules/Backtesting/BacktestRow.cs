using FraudStream.Core.Contracts;

namespace FraudStream.Rules.Backtesting;

/// <summary>One recorded transaction with what the pipeline computed for it and, when known, its label.</summary>
/// <param name="Features">In the feature order the rulesets were compiled with; NaN = missing.</param>
/// <param name="Score">The model's score, NaN when none.</param>
/// <param name="Fraud">The label, null when unlabeled.</param>
public sealed record BacktestRow(Transaction Transaction, float[] Features, float Score, bool? Fraud);
