namespace FraudStream.Ingest.Simulation;

/// <summary>
/// Generates a realistic card transaction stream with fraud ground truth and delayed labels.
/// The world (cards, merchants, devices) is built once in the constructor; each call of
/// <see cref="Generate"/> replays the same stream from the start, so one instance may be
/// enumerated many times, also from several threads at once (each enumeration has its own state).
/// </summary>
public sealed class TransactionSimulator
{
    private readonly SimulatedWorld _world;

    public TransactionSimulator(SimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options = options.ForWorld();
        options.Validate();
        Options = options;
        _world = new SimulatedWorld(options);
    }

    /// <summary>The options the stream is made with: a hard world's drawn knobs (<see cref="SimulatorOptions.ForWorld"/>).</summary>
    public SimulatorOptions Options { get; }

    /// <summary>
    /// Yields <paramref name="count"/> transactions and the labels reported in the meantime, merged in
    /// event-time order (ties keep the order they were scheduled in). Transaction ids are
    /// <c>tx-&lt;seed&gt;-&lt;n&gt;</c> with n counting from 0 in stream order. After the last
    /// transaction, labels still pending follow in time order when
    /// <see cref="SimulatorOptions.EmitPendingLabelsAtEnd"/> is set.
    /// </summary>
    public IEnumerable<SimulatedEvent> Generate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return new SimulationRun(Options, _world).Run(count);
    }

    /// <summary>Ids of the merchants that leak card data in this world (for tests and demos).</summary>
    public IReadOnlyList<string> CompromisedMerchantIds
    {
        get
        {
            var ids = new string[_world.CompromisedMerchants.Length];
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = _world.Merchants[_world.CompromisedMerchants[i]].Id;
            }

            return ids;
        }
    }

    /// <summary>Where a simulated card lives (for tests, demos and explaining decisions); false for an unknown id.</summary>
    public bool TryGetCardHome(string cardId, out double latitude, out double longitude, out string country)
    {
        ArgumentNullException.ThrowIfNull(cardId);
        latitude = longitude = double.NaN;
        country = "";
        if (!cardId.StartsWith("card-", StringComparison.Ordinal) || !int.TryParse(cardId.AsSpan(5), out var index)
            || index < 0 || index >= _world.Cards.Length)
        {
            return false;
        }

        var card = _world.Cards[index];
        latitude = card.HomeLatitude;
        longitude = card.HomeLongitude;
        country = Geography.HomeCities[card.HomeCity].City.Country;
        return true;
    }
}
