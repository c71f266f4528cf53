using System.IO.Compression;
using System.Text;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Replay;
using FraudStream.Ingest.Tests.Infrastructure;
using FraudStream.Testing;

namespace FraudStream.Ingest.Tests.Replay;

public sealed class BankSimReaderTests : IDisposable
{
    // Line numbers: header 1; 4 = amount 0, 5 = too few columns, 6 = bad number.
    private const string Fixture =
        "step,customer,age,gender,zipcodeOri,merchant,zipMerchant,category,amount,fraud\n" +
        "0,'C1093826151','4','M','28007','M348934600','28007','es_transportation',4.55,0\n" +
        "0,'C352968107','2','M','28007','M348934600','28007','es_transportation',39.68,0\n" +
        "0,'C2054744914','4','F','28007','M1823072687','28007','es_health',0,0\n" +
        "0,'C1760612790','3','M','28007','M348934600','28007'\n" +
        "1,'C1093826151','4','M','28007','M1823072687','28007','es_leisure',12.x5,0\n" +
        "1,'C583110837','3','M','28007','M480139044','28007','es_travel',2011.24,1\n" +
        "1,'C1315400589','3','F','28007','M348934600','28007','es_transportation',22.10,0\n" +
        "1,'C1093826151','4','M','28007','M348934600','28007','es_transportation',17.02,0\n" +
        "2,'C352968107','2','M','28007','M1053599405','28007','es_sportsandtoys',80.50,1\n";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string WritePlain(string name, string content)
    {
        var path = _dir.File(name);
        File.WriteAllText(path, content);
        return path;
    }

    private string WriteGzip(string name, string content)
    {
        var path = _dir.File(name);
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(Encoding.UTF8.GetBytes(content));
        return path;
    }

    private static string Render(ReplayRecord r) => r.IsTransaction
        ? $"{r.LineNumber} {Encoding.UTF8.GetString(TransactionJson.Serialize(r.Transaction))} {(r.Label is null ? "" : Encoding.UTF8.GetString(LabelJson.Serialize(r.Label)))}"
        : r.ToString();

    [Fact]
    public void Gzip_and_plain_files_read_alike_whatever_their_names()
    {
        var gzipNamedCsv = WriteGzip("banksim.csv", Fixture);
        var plainNamedGz = WritePlain("banksim.csv.gz", Fixture);

        var fromGzip = new BankSimReader(gzipNamedCsv).Read().Select(Render).ToList();
        var fromPlain = new BankSimReader(plainNamedGz).Read().Select(Render).ToList();

        Assert.Equal(9, fromGzip.Count);
        Assert.Equal(fromPlain, fromGzip);
    }

    [Fact]
    public void Rows_map_to_the_transactions_contract()
    {
        var records = new BankSimReader(WritePlain("b.csv", Fixture)).Read().ToList();
        var first = records.Single(r => r.IsTransaction && r.LineNumber == 2);
        var tx = first.Transaction!;

        Assert.Equal("bs-2", tx.Id);
        Assert.Equal("C1093826151", tx.Card);
        Assert.Equal("M348934600", tx.Merchant);
        Assert.Equal("transportation", tx.Category);
        Assert.Equal(4.55m, tx.Amount);
        Assert.Equal("EUR", tx.Currency);
        Assert.Equal("ES", tx.Country);
        Assert.Equal(PaymentChannel.Pos, tx.Channel);
        Assert.False(tx.HasLocation);
        Assert.Null(tx.Device);
        var parsed = new Transaction();
        foreach (var r in records.Where(r => r.IsTransaction))
        {
            Assert.True(TransactionJson.TryParse(TransactionJson.Serialize(r.Transaction!), parsed, out var error), error.ToString());
            Assert.Equal(r.Transaction!.Timestamp, parsed.Timestamp);
        }
    }

    [Fact]
    public void Rows_are_spread_over_their_step_day_in_time_order()
    {
        var options = new BankSimOptions();
        var records = new BankSimReader(WritePlain("b.csv", Fixture), options).Read().Where(r => r.IsTransaction).ToList();

        for (var i = 1; i < records.Count; i++)
        {
            Assert.True(records[i].Transaction!.Timestamp >= records[i - 1].Transaction!.Timestamp);
        }

        var offset = TimeSpan.FromHours(options.UtcOffsetHours);
        foreach (var r in records)
        {
            var step = r.LineNumber <= 5 ? 0 : r.LineNumber <= 9 ? 1 : 2;
            var dayStart = options.Start.AddDays(step) - offset;
            Assert.InRange(r.Transaction!.Timestamp, dayStart, dayStart.AddDays(1));
        }

        // Within step 1 rows are sorted by their assigned time, not necessarily by line.
        Assert.Equal(records.Where(r => r.LineNumber is >= 7 and <= 9).Select(r => r.Transaction!.Timestamp).Order(), records.Where(r => r.LineNumber is >= 7 and <= 9).Select(r => r.Transaction!.Timestamp));
    }

    [Fact]
    public void Times_of_day_are_deterministic_and_differ_between_rows()
    {
        var path = WritePlain("b.csv", Fixture);
        var first = new BankSimReader(path).Read().Select(Render).ToList();
        var second = new BankSimReader(path).Read().Select(Render).ToList();
        var times = new BankSimReader(path).Read().Where(r => r.IsTransaction).Select(r => r.Transaction!.Timestamp.TimeOfDay).ToList();

        Assert.Equal(first, second);
        Assert.Equal(times.Count, times.Distinct().Count());
    }

    [Fact]
    public void Bad_rows_are_reported_with_line_numbers_and_the_replay_goes_on()
    {
        var reader = new BankSimReader(WritePlain("b.csv", Fixture));
        var records = reader.Read().ToList();
        var bad = records.Where(r => r.IsBad).Select(r => r.BadRow).ToList();

        Assert.Equal([4L, 5L, 6L], bad.Select(b => b.LineNumber));
        Assert.Contains("greater than zero", bad[0].Reason);
        Assert.Contains("columns", bad[1].Reason);
        Assert.Contains("not a number", bad[2].Reason);
        Assert.Equal(9, reader.Stats.Rows);
        Assert.Equal(6, reader.Stats.Transactions);
        Assert.Equal(3, reader.Stats.Bad);
        Assert.Equal(bad, reader.Stats.FirstBadRows);
        Assert.Equal(10L, records[^1].LineNumber);
    }

    [Fact]
    public void The_fraud_column_becomes_a_label_reported_one_to_twenty_days_later()
    {
        var records = new BankSimReader(WritePlain("b.csv", Fixture)).Read().Where(r => r.IsTransaction).ToList();

        Assert.All(records, r =>
        {
            Assert.NotNull(r.Label);
            Assert.Equal(r.Transaction!.Id, r.Label.Id);
            Assert.InRange(r.Label.ReportedAt - r.Transaction.Timestamp, TimeSpan.FromDays(1), TimeSpan.FromDays(20));
        });
        Assert.Equal(["bs-7", "bs-10"], records.Where(r => r.Label!.Fraud).Select(r => r.Transaction!.Id));
    }

    [Fact]
    public void Legitimate_labels_can_be_sampled()
    {
        var options = new BankSimOptions { LegitLabelRate = 0 };
        var records = new BankSimReader(WritePlain("b.csv", Fixture), options).Read().Where(r => r.IsTransaction).ToList();

        Assert.Equal(["bs-7", "bs-10"], records.Where(r => r.Label is not null).Select(r => r.Transaction!.Id));
    }

    /// <summary>Each field the reader checks, broken alone, names itself; a row with several broken fields names the first checked.</summary>
    [Theory]
    [InlineData("x,'C1','4','M','28007','M1','28007','es_food',5.00,0", "step 'x' is not a day index")]
    [InlineData("-1,'C1','4','M','28007','M1','28007','es_food',5.00,0", "step '-1' is not a day index")]
    [InlineData("3,'','4','M','28007','M1','28007','es_food',5.00,0", "customer is empty")]
    [InlineData("3,'C1','4','M','28007','','28007','es_food',5.00,0", "merchant is empty")]
    [InlineData("3,'C1','4','M','28007','M1','28007','es_',5.00,0", "category is empty")]
    [InlineData("3,'C1','4','M','28007','M1','28007','es_food',-2,0", "amount must be greater than zero, was -2")]
    [InlineData("3,'C1','4','M','28007','M1','28007','es_food',5.00,2", "fraud '2' is not 0 or 1")]
    [InlineData("3,'C1','4','M','28007','M1','28007','es_food',5.00,1,extra", "expected 10 columns, found more")]
    [InlineData("x,'','4','M','28007','M1','28007','es_food',0,2", "step 'x' is not a day index")]
    [InlineData("3,'C1','4','M','28007','','28007','es_food',abc,2", "merchant is empty")]
    [InlineData("3,'C1','4','M','28007','M1','28007','es_food',abc,2", "amount 'abc' is not a number")]
    public void Each_broken_field_is_reported_by_name(string row, string reason)
    {
        var reader = new BankSimReader(WritePlain("b.csv", Fixture + row + "\n"));
        var added = reader.Read().Single(r => r.LineNumber == 11);

        Assert.True(added.IsBad);
        Assert.Equal(reason, added.BadRow.Reason);
    }

    [Fact]
    public void A_step_going_backwards_is_a_bad_row()
    {
        var content = Fixture + "1,'C1','4','M','28007','M348934600','28007','es_food',5.00,0\n";
        var reader = new BankSimReader(WritePlain("b.csv", content));
        var bad = reader.Read().Where(r => r.IsBad).Select(r => r.BadRow).ToList();

        Assert.Contains(bad, b => b.LineNumber == 11 && b.Reason.Contains("sorted by step"));
    }

    [Fact]
    public void Windows_line_endings_and_a_missing_final_newline_are_accepted()
    {
        var content = Fixture.Replace("\n", "\r\n").TrimEnd();
        var records = new BankSimReader(WritePlain("b.csv", content)).Read().ToList();

        Assert.Equal(6, records.Count(r => r.IsTransaction));
        Assert.Equal(80.50m, records.Single(r => r.LineNumber == 10).Transaction!.Amount);
    }

    [Fact]
    public void Reading_stops_when_cancelled()
    {
        using var cts = new CancellationTokenSource();
        var reader = new BankSimReader(WritePlain("b.csv", Fixture));
        var count = 0;
        foreach (var record in reader.Read(cts.Token))
        {
            count++;
            cts.Cancel();
        }

        Assert.Equal(1, count);
    }
}

public sealed class ReplayTimelineTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Row(int step, int customer, string amount, int fraud) =>
        $"{step},'C{customer}','4','M','28007','M348934600','28007','es_food',{amount},{fraud}\n";

    [Fact]
    public void Labels_are_detached_and_follow_when_event_time_reaches_their_report()
    {
        var content = new System.Text.StringBuilder("step,customer,age,gender,zipcodeOri,merchant,zipMerchant,category,amount,fraud\n");
        for (var step = 0; step < 30; step++)
        {
            for (var c = 0; c < 20; c++)
            {
                content.Append(Row(step, c, c == 7 && step == 3 ? "0" : "12.50", c == 3 ? 1 : 0));
            }
        }

        var path = _dir.File("b.csv");
        File.WriteAllText(path, content.ToString());
        var source = new BankSimReader(path);

        var merged = ReplayTimeline.InEventTimeOrder(source.Read()).ToList();

        var transactions = merged.Where(r => r.IsTransaction).ToList();
        var labels = merged.Where(r => r.IsLabelOnly).ToList();
        Assert.Equal(599, transactions.Count);
        Assert.Equal(599, labels.Count);
        Assert.Single(merged, r => r.IsBad);
        Assert.All(transactions, r => Assert.Null(r.Label));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var time = DateTime.MinValue;
        foreach (var r in merged.Where(r => !r.IsBad))
        {
            var at = r.IsTransaction ? r.Transaction.Timestamp : r.Label!.ReportedAt;
            Assert.True(at >= time, $"{r} goes back in time");
            time = at;
            if (r.IsTransaction)
            {
                seen.Add(r.Transaction.Id);
            }
            else
            {
                Assert.Contains(r.Label!.Id, seen);
            }
        }

        Assert.Equal(30, labels.Count(r => r.Label!.Fraud));
    }

    [Fact]
    public void Without_flushing_labels_past_the_last_transaction_are_dropped()
    {
        var path = _dir.File("b.csv");
        File.WriteAllText(path, Row(0, 1, "5.00", 1) + Row(0, 2, "6.00", 0));

        var merged = ReplayTimeline.InEventTimeOrder(new BankSimReader(path).Read(), flushPendingLabels: false).ToList();

        Assert.Equal(2, merged.Count);
        Assert.All(merged, r => Assert.True(r.IsTransaction));
    }
}
