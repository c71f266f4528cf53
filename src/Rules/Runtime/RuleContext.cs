using FraudStream.Core.Contracts;

namespace FraudStream.Rules.Runtime;

/// <summary>
/// Everything a rule can see for one transaction. Reusable: a worker keeps one and refills it per
/// transaction. Features are indexed in <c>FeatureSchema</c> order (NaN = missing); expression trees
/// cannot take spans, hence an array.
/// </summary>
public sealed class RuleContext
{
    /// <summary>Derived once per evaluation so rules that use them pay for the conversion once.</summary>
    internal double AmountValue;
    internal string? ChannelName;

    public Transaction Transaction { get; set; } = new();

    public float[] Features { get; set; } = [];

    /// <summary>The model's score, NaN when no model answered.</summary>
    public float Score { get; set; } = float.NaN;

    public float ReviewThreshold { get; set; } = float.NaN;

    public float DeclineThreshold { get; set; } = float.NaN;

    internal void Prepare()
    {
        var tx = Transaction;
        AmountValue = (double)tx.Amount;
        ChannelName = tx.Channel.ToWire();
    }
}
