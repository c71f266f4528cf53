namespace FraudStream.Core.Contracts;

/// <summary>
/// One card transaction as the <c>transactions</c> topic carries it. Mutable and reusable so the
/// hot path can parse into a pooled instance instead of allocating one per message.
/// </summary>
public sealed class Transaction
{
    public string Id { get; set; } = "";

    /// <summary>Event time, UTC.</summary>
    public DateTime Timestamp { get; set; }

    /// <summary>Card identifier; the service replaces a card number in it (or in any text field) by its token (<see cref="Identifiers.PanTokenizer"/>).</summary>
    public string Card { get; set; } = "";

    public string Merchant { get; set; } = "";

    public string Category { get; set; } = "";

    public decimal Amount { get; set; }

    public string Currency { get; set; } = "";

    public string Country { get; set; } = "";

    /// <summary>Latitude in degrees, NaN when absent.</summary>
    public double Latitude { get; set; } = double.NaN;

    /// <summary>Longitude in degrees, NaN when absent.</summary>
    public double Longitude { get; set; } = double.NaN;

    public string? Device { get; set; }

    public PaymentChannel Channel { get; set; }

    public bool HasLocation => !double.IsNaN(Latitude) && !double.IsNaN(Longitude);

    public void Reset()
    {
        Id = "";
        Timestamp = default;
        Card = "";
        Merchant = "";
        Category = "";
        Amount = 0;
        Currency = "";
        Country = "";
        Latitude = double.NaN;
        Longitude = double.NaN;
        Device = null;
        Channel = PaymentChannel.Unknown;
    }

    public void CopyFrom(Transaction other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Id = other.Id;
        Timestamp = other.Timestamp;
        Card = other.Card;
        Merchant = other.Merchant;
        Category = other.Category;
        Amount = other.Amount;
        Currency = other.Currency;
        Country = other.Country;
        Latitude = other.Latitude;
        Longitude = other.Longitude;
        Device = other.Device;
        Channel = other.Channel;
    }

    public Transaction Clone()
    {
        var copy = new Transaction();
        copy.CopyFrom(this);
        return copy;
    }
}
