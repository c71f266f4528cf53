using System.IO.Compression;
using System.Text;
using FraudStream.Core.Contracts;
using FraudStream.Ingest.Replay;
using FraudStream.Ingest.Simulation;
using FraudStream.Ingest.Tests.Infrastructure;
using FraudStream.Testing;

namespace FraudStream.Ingest.Tests.Replay;

public sealed class JsonLinesTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Render(ReplayRecord r) => r.Kind switch
    {
        ReplayRecordKind.Transaction => "T " + Encoding.UTF8.GetString(TransactionJson.Serialize(r.Transaction!)),
        ReplayRecordKind.Label => "L " + Encoding.UTF8.GetString(LabelJson.Serialize(r.Label!)),
        _ => r.ToString(),
    };

    private static string Render(SimulatedEvent e) => e.IsTransaction
        ? "T " + Encoding.UTF8.GetString(TransactionJson.Serialize(e.Transaction))
        : "L " + Encoding.UTF8.GetString(LabelJson.Serialize(e.Label!));

    [Theory]
    [InlineData("stream.jsonl")]
    [InlineData("stream.jsonl.gz")]
    public void What_the_writer_writes_the_reader_reads_back_labels_included(string name)
    {
        var events = new TransactionSimulator(new SimulatorOptions { Seed = 4, Cards = 300, Merchants = 60 }).Generate(5_000).ToList();
        var path = _dir.File(name);

        var (transactions, labels) = JsonLinesWriter.WriteAll(path, events);
        var reader = new JsonLinesReader(path);
        var read = reader.Read().Select(Render).ToList();

        Assert.Equal(5_000, transactions);
        Assert.Equal(events.Count(e => e.IsLabel), labels);
        Assert.Equal(events.Select(Render), read);
        Assert.Equal(0, reader.Stats.Bad);
        Assert.Equal(labels, reader.Stats.LabelLines);
        using var head = File.OpenRead(path);
        Assert.Equal(name.EndsWith(".gz", StringComparison.Ordinal), head.ReadByte() == 0x1f && head.ReadByte() == 0x8b);
    }

    [Fact]
    public void Bad_lines_are_reported_with_their_line_number_and_the_parser_reason()
    {
        var good = """{"id":"t1","ts":"2026-11-01T10:00:00Z","card":"card-000001","merchant":"m1","category":"grocery","amount":12.5,"currency":"EUR","country":"ES","channel":"pos"}""";
        var zeroAmount = good.Replace("\"id\":\"t1\"", "\"id\":\"t2\"").Replace("12.5", "0");
        var badCurrency = good.Replace("\"id\":\"t1\"", "\"id\":\"t3\"").Replace("EUR", "EURO");
        var lines = new[]
        {
            good,
            "this is not json",
            "",
            zeroAmount,
            """{"label":{"id":"t1","fraud":true,"reported_at":"2026-11-03T00:00:00Z"}}""",
            """{"label":{"id":"t1","fraud":"yes","reported_at":"2026-11-03T00:00:00Z"}}""",
            badCurrency,
            """{"label":{"id":"t1","fraud":true,"reported_at":"2026-11-03T00:00:00Z"},"extra":1}""",
            "{\"id\":\"t4\",",
        };
        var path = _dir.File("mixed.jsonl");
        File.WriteAllText(path, string.Join('\n', lines) + "\n");

        var reader = new JsonLinesReader(path);
        var records = reader.Read().ToList();

        Assert.Equal([1L, 5L], records.Where(r => !r.IsBad).Select(r => r.LineNumber));
        var bad = reader.Stats.FirstBadRows;
        Assert.Equal([2L, 4L, 6L, 7L, 8L, 9L], bad.Select(b => b.LineNumber));
        Assert.StartsWith("invalid_json", bad[0].Reason);
        Assert.StartsWith("non_positive_amount", bad[1].Reason);
        Assert.Contains("boolean fraud", bad[2].Reason);
        Assert.StartsWith("unknown_currency", bad[3].Reason);
        Assert.Contains("only", bad[4].Reason);
        Assert.Equal(8, reader.Stats.Rows);
        Assert.Equal(1, reader.Stats.Transactions);
        Assert.Equal(1, reader.Stats.LabelLines);
        Assert.Equal(6, reader.Stats.Bad);
        var label = records.Single(r => r.LineNumber == 5);
        Assert.True(label.IsLabelOnly && label.Label!.Fraud);
    }

    [Fact]
    public void A_gzip_file_is_recognised_by_its_magic_bytes_not_its_name()
    {
        var line = """{"id":"t1","ts":"2026-11-01T10:00:00Z","card":"c","merchant":"m","category":"x","amount":1.25,"currency":"USD","country":"US"}""";
        var path = _dir.File("looks-plain.jsonl");
        using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(line + "\n"));
        }

        var records = new JsonLinesReader(path).Read().ToList();

        Assert.Single(records);
        Assert.Equal(1.25m, records[0].Transaction!.Amount);
    }

    [Fact]
    public void An_overlong_line_is_a_bad_row_and_the_next_line_still_reads()
    {
        var good = """{"id":"t1","ts":"2026-11-01T10:00:00Z","card":"c","merchant":"m","category":"x","amount":1.25,"currency":"USD","country":"US"}""";
        var path = _dir.File("long.jsonl");
        File.WriteAllText(path, good + "\n" + new string('x', 300_000) + "\n" + good.Replace("t1", "t2") + "\n");

        var records = new JsonLinesReader(path, maxLineBytes: 64 * 1024).Read().ToList();

        Assert.Equal(3, records.Count);
        Assert.True(records[1].IsBad);
        Assert.Equal(2, records[1].LineNumber);
        Assert.Equal("t2", records[2].Transaction!.Id);
        Assert.Equal(3, records[2].LineNumber);
    }

    [Fact]
    public void Formats_are_parsed_from_their_command_line_names()
    {
        Assert.True(ReplaySources.TryParseFormat("banksim", out var banksim));
        Assert.True(ReplaySources.TryParseFormat("JSONL", out var jsonl));
        Assert.False(ReplaySources.TryParseFormat("csv", out _));
        Assert.IsType<BankSimReader>(ReplaySources.Create(banksim, "x"));
        Assert.IsType<JsonLinesReader>(ReplaySources.Create(jsonl, "x"));
    }
}

public sealed class ReplayFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Concatenated_gzip_members_read_as_one_file()
    {
        var path = _dir.File("two-members.csv.gz");
        using (var file = File.Create(path))
        {
            foreach (var part in new[] { "step,customer\nline two\n", "line three\n" })
            {
                using var gzip = new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true);
                gzip.Write(Encoding.UTF8.GetBytes(part));
            }
        }

        using var reader = new StreamReader(ReplayFile.Open(path));

        Assert.Equal("step,customer\nline two\nline three\n", reader.ReadToEnd());
    }

    [Fact]
    public void An_empty_file_opens_as_an_empty_plain_stream()
    {
        var path = _dir.File("empty.jsonl");
        File.WriteAllBytes(path, []);

        var reader = new JsonLinesReader(path);

        Assert.Empty(reader.Read());
        Assert.Equal(0, reader.Stats.Rows);
    }

    [Fact]
    public void Replayed_BankSim_records_written_as_json_lines_read_back_alike()
    {
        var csv = _dir.File("b.csv");
        File.WriteAllText(csv, "step,customer,age,gender,zipcodeOri,merchant,zipMerchant,category,amount,fraud\n"
            + "0,'C1','4','M','28007','M1','28007','es_food',12.30,0\n"
            + "0,'C2','4','M','28007','M2','28007','es_travel',0,0\n"
            + "1,'C1','4','M','28007','M2','28007','es_travel',812.04,1\n");
        var jsonl = _dir.File("b.jsonl");
        var source = new BankSimReader(csv).Read().ToList();
        using (var writer = JsonLinesWriter.Create(jsonl))
        {
            foreach (var record in source)
            {
                writer.Write(record);
            }
        }

        var back = new JsonLinesReader(jsonl).Read().ToList();

        Assert.Equal(4, back.Count);
        Assert.Equal(["bs-2", "bs-4"], back.Where(r => r.IsTransaction).Select(r => r.Transaction!.Id));
        Assert.Equal([false, true], back.Where(r => r.IsLabelOnly).Select(r => r.Label!.Fraud));
        Assert.Equal(source.Where(r => r.IsTransaction).Select(r => r.Transaction!.Timestamp), back.Where(r => r.IsTransaction).Select(r => r.Transaction!.Timestamp));
    }
}

public sealed class ReplayRecordTests
{
    [Fact]
    public void A_default_record_claims_to_be_nothing()
    {
        var record = default(ReplayRecord);

        Assert.False(record.IsTransaction);
        Assert.False(record.IsLabelOnly);
        Assert.False(record.IsBad);
    }

    [Fact]
    public void A_bad_record_describes_itself_with_its_line()
    {
        var record = ReplayRecord.ForBadRow(42, "amount must be greater than zero");

        Assert.True(record.IsBad);
        Assert.Equal(new BadRow(42, "amount must be greater than zero"), record.BadRow);
        Assert.Equal("line 42: amount must be greater than zero", record.ToString());
    }
}
