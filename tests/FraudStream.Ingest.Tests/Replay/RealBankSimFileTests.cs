using FraudStream.Core.Contracts;
using FraudStream.Ingest.Replay;
using FraudStream.Testing;

namespace FraudStream.Ingest.Tests.Replay;

public sealed class RealBankSimFileTests
{
    [BankSimFileFact]
    public void The_first_ten_thousand_rows_of_the_real_file_replay_as_valid_ordered_transactions()
    {
        var path = BankSimFile.Find();
        Assert.True(path is not null, "the BankSim file is missing (shared/data/banksim or $FRAUDSTREAM_BANKSIM)");
        var reader = new BankSimReader(path);

        var records = reader.Read().Take(10_000).ToList();

        var transactions = records.Where(r => r.IsTransaction).Select(r => r.Transaction!).ToList();
        Assert.True(transactions.Count >= 9_900, $"{transactions.Count} good rows");
        var parsed = new Transaction();
        var previous = DateTime.MinValue;
        foreach (var tx in transactions)
        {
            Assert.True(TransactionJson.TryParse(TransactionJson.Serialize(tx), parsed, out var error), $"{tx.Id}: {error}");
            Assert.True(tx.Timestamp >= previous);
            Assert.StartsWith("C", tx.Card);
            Assert.StartsWith("M", tx.Merchant);
            Assert.DoesNotContain("'", tx.Category);
            Assert.False(tx.Category.StartsWith("es_", StringComparison.Ordinal), tx.Category);
            previous = tx.Timestamp;
        }

        Assert.Contains(records, r => r.IsTransaction && r.Label!.Fraud);
        Assert.Equal(records.Count, reader.Stats.Rows);
        Assert.All(records.Where(r => r.IsBad), r => Assert.True(r.LineNumber > 1));
    }
}
