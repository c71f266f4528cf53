using System.Globalization;
using System.Text;
using FraudStream.Rules.Compilation;

namespace FraudStream.Rules.Parsing;

/// <summary>Turns rules text into tokens. Never throws on bad input: it reports and moves on.</summary>
public sealed class Lexer
{
    private static readonly Dictionary<string, TokenKind> Keywords = new(StringComparer.Ordinal)
    {
        ["list"] = TokenKind.List,
        ["rule"] = TokenKind.Rule,
        ["shadow"] = TokenKind.Shadow,
        ["if"] = TokenKind.If,
        ["and"] = TokenKind.And,
        ["or"] = TokenKind.Or,
        ["not"] = TokenKind.Not,
        ["in"] = TokenKind.In,
        ["between"] = TokenKind.Between,
        ["is"] = TokenKind.Is,
        ["missing"] = TokenKind.Missing,
        ["true"] = TokenKind.True,
        ["false"] = TokenKind.False,
    };

    private readonly string _text;
    private readonly DiagnosticBag _diagnostics;
    private int _offset;
    private int _line = 1;
    private int _lineStart;

    public Lexer(string text, DiagnosticBag diagnostics)
    {
        _text = text;
        _diagnostics = diagnostics;
    }

    public List<Token> Tokenize()
    {
        var tokens = new List<Token>();
        while (true)
        {
            var token = Next();
            tokens.Add(token);
            if (token.Kind == TokenKind.EndOfFile)
            {
                return tokens;
            }
        }
    }

    private SourcePosition Position => new(_line, _offset - _lineStart + 1);

    private char Peek(int ahead = 0) => _offset + ahead < _text.Length ? _text[_offset + ahead] : '\0';

    private Token Next()
    {
        SkipTriviaAndComments();
        var start = _offset;
        var position = Position;
        if (_offset >= _text.Length)
        {
            return new Token(TokenKind.EndOfFile, "", 0, position, start, 0);
        }

        var c = _text[_offset];
        if (IsIdentifierStart(c))
        {
            var name = ReadDottedName();
            var kind = Keywords.TryGetValue(name, out var keyword) ? keyword : TokenKind.Identifier;
            return new Token(kind, name, 0, position, start, _offset - start);
        }

        if (char.IsAsciiDigit(c) || (c == '.' && char.IsAsciiDigit(Peek(1))))
        {
            return ReadNumber(position, start);
        }

        if (c is '"' or '\'')
        {
            return ReadString(position, start, c);
        }

        if (c == '@')
        {
            _offset++;
            if (!IsIdentifierStart(Peek()))
            {
                _diagnostics.Add(position, DiagnosticCodes.Syntax, "'@' must be followed by a list name, as in @vip_cards");
                return new Token(TokenKind.Invalid, "@", 0, position, start, 1);
            }

            var listName = ReadDottedName();
            return new Token(TokenKind.ListReference, listName, 0, position, start, _offset - start);
        }

        _offset++;
        var two = c switch
        {
            '=' when Peek() == '=' => TokenKind.Equal,
            '!' when Peek() == '=' => TokenKind.NotEqual,
            '<' when Peek() == '=' => TokenKind.LessOrEqual,
            '>' when Peek() == '=' => TokenKind.GreaterOrEqual,
            '<' when Peek() == '>' => TokenKind.NotEqual,
            _ => TokenKind.Invalid,
        };
        if (two != TokenKind.Invalid)
        {
            _offset++;
            return new Token(two, _text.Substring(start, 2), 0, position, start, 2);
        }

        var one = c switch
        {
            '(' => TokenKind.LeftParen,
            ')' => TokenKind.RightParen,
            '[' => TokenKind.LeftBracket,
            ']' => TokenKind.RightBracket,
            ',' => TokenKind.Comma,
            ':' => TokenKind.Colon,
            '=' => TokenKind.Assign,
            '<' => TokenKind.Less,
            '>' => TokenKind.Greater,
            '+' => TokenKind.Plus,
            '-' => TokenKind.Minus,
            '*' => TokenKind.Star,
            '/' => TokenKind.Slash,
            '%' => TokenKind.Percent,
            _ => TokenKind.Invalid,
        };
        if (one == TokenKind.Invalid)
        {
            var shown = char.IsControl(c) || char.IsSurrogate(c) ? $"U+{(int)c:X4}" : c.ToString();
            var hint = c switch
            {
                '&' => "; write 'and'",
                '|' => "; write 'or'",
                '!' => "; write 'not'",
                _ => "",
            };
            _diagnostics.Add(position, DiagnosticCodes.UnexpectedCharacter, $"unexpected character '{shown}'{hint}");
        }

        return new Token(one, c.ToString(), 0, position, start, 1);
    }

    private void SkipTriviaAndComments()
    {
        while (_offset < _text.Length)
        {
            var c = _text[_offset];
            if (c == '\n')
            {
                _offset++;
                _line++;
                _lineStart = _offset;
            }
            else if (c is ' ' or '\t' or '\r' or '\f' or '\v' or '\uFEFF')
            {
                _offset++;
            }
            else if (c == '#')
            {
                while (_offset < _text.Length && _text[_offset] != '\n')
                {
                    _offset++;
                }
            }
            else
            {
                return;
            }
        }
    }

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    /// <summary>Names may contain dots between parts: <c>card.count_1m</c>, <c>model.decline_threshold</c>.</summary>
    private string ReadDottedName()
    {
        var start = _offset;
        while (true)
        {
            while (IsIdentifierPart(Peek()))
            {
                _offset++;
            }

            if (Peek() == '.' && IsIdentifierStart(Peek(1)))
            {
                _offset++;
                continue;
            }

            return _text[start.._offset];
        }
    }

    private Token ReadNumber(SourcePosition position, int start)
    {
        while (char.IsAsciiDigit(Peek()))
        {
            _offset++;
        }

        if (Peek() == '.' && char.IsAsciiDigit(Peek(1)))
        {
            _offset++;
            while (char.IsAsciiDigit(Peek()))
            {
                _offset++;
            }
        }

        if (Peek() is 'e' or 'E' && (char.IsAsciiDigit(Peek(1)) || (Peek(1) is '+' or '-' && char.IsAsciiDigit(Peek(2)))))
        {
            _offset += 2;
            while (char.IsAsciiDigit(Peek()))
            {
                _offset++;
            }
        }

        var spelling = _text[start.._offset];
        if (IsIdentifierPart(Peek()))
        {
            // "10m" or "5x": a number glued to letters is a mistake, not two tokens.
            while (IsIdentifierPart(Peek()))
            {
                _offset++;
            }

            _diagnostics.Add(position, DiagnosticCodes.InvalidNumber, $"'{_text[start.._offset]}' is not a number; write plain digits such as 10 or 2.5");
            return new Token(TokenKind.Number, spelling, 0, position, start, _offset - start);
        }

        if (!double.TryParse(spelling, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            _diagnostics.Add(position, DiagnosticCodes.InvalidNumber, $"'{spelling}' is not a finite number");
            value = 0;
        }

        return new Token(TokenKind.Number, spelling, value, position, start, _offset - start);
    }

    private Token ReadString(SourcePosition position, int start, char quote)
    {
        _offset++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_offset >= _text.Length || _text[_offset] == '\n')
            {
                _diagnostics.Add(position, DiagnosticCodes.UnterminatedString, "string is not closed before the end of the line");
                return new Token(TokenKind.String, sb.ToString(), 0, position, start, _offset - start);
            }

            var c = _text[_offset++];
            if (c == quote)
            {
                return new Token(TokenKind.String, sb.ToString(), 0, position, start, _offset - start);
            }

            if (c == '\\')
            {
                var escapePosition = new SourcePosition(_line, _offset - _lineStart);
                var e = Peek();
                switch (e)
                {
                    case '\\': sb.Append('\\'); _offset++; break;
                    case '"': sb.Append('"'); _offset++; break;
                    case '\'': sb.Append('\''); _offset++; break;
                    case 'n': sb.Append('\n'); _offset++; break;
                    case 't': sb.Append('\t'); _offset++; break;
                    default:
                        _diagnostics.Add(escapePosition, DiagnosticCodes.Syntax, "unknown escape; use \\\\, \\\", \\', \\n or \\t");
                        break;
                }

                continue;
            }

            sb.Append(c);
        }
    }
}
