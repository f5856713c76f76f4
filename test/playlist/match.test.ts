/** Candidate scoring, and the search templates yt-dlp is given. */
import { describe, expect, test } from "bun:test";
import { checkSearchTemplate, searchTarget, settingsOf, assemblyParams } from "../../core/playlist/assemble.ts";
import { chooseCandidate, durationScore, normaliseText, scoreCandidate, textScore, variantsOf, type FoundCandidate } from "../../core/playlist/match.ts";
import { z } from "zod";

const found = (title: string, duration_s: number | null, uploader = ""): FoundCandidate => ({
  url: "https://example.org/watch?v=1",
  title,
  uploader,
  duration_s,
  duration_from: duration_s === null ? "unknown" : "listed",
});
const lavoe = { artist: "Héctor Lavoe", title: "El Cantante", duration_s: 630 };

describe("match scores", () => {
  test("text is compared without accents, case or punctuation, in any script", () => {
    expect(normaliseText("Héctor LAVOE — «El Cantante» (Official Video)")).toBe("hector lavoe el cantante official video");
    expect(normaliseText("美空ひばり・川の流れのように")).toBe("美空ひばり 川の流れのように");
    expect(normaliseText("Let’s Go Fishin'")).toBe(normaliseText("Lets Go Fishin"));
    expect(textScore(lavoe, found("Hector Lavoe - El Cantante (Official Video)", 630))).toBe(1);
    expect(textScore(lavoe, found("El Cantante", 630, "Héctor Lavoe - Topic"))).toBe(1);
    expect(textScore(lavoe, found("Willie Colón - Che Che Colé", 630))).toBeLessThan(0.5);
  });

  test("duration: full within 5% (1 to 3 s), none from a quarter apart (at most 30 s), unknown when either is", () => {
    expect(durationScore(200, 202.5)).toBe(1);
    expect(durationScore(200, 216.5)).toBeCloseTo(0.5, 5);
    expect(durationScore(200, 260)).toBe(0);
    // A 49-second piece: 2.46 s is a full match, 12.3 s off is none.
    expect(durationScore(49.2, 47)).toBe(1);
    expect(durationScore(49.2, 25)).toBe(0);
    expect(durationScore(49.2, 49.2 + (2.46 + 12.3) / 2)).toBeCloseTo(0.5, 5);
    // A 5-second clip: a page that rounds 5.33 to 5 still matches.
    expect(durationScore(5.33, 5)).toBe(1);
    expect(durationScore(5.33, 8.33)).toBe(0);
    expect(durationScore(null, 200)).toBeNull();
    expect(durationScore(200, null)).toBeNull();
  });

  test("live, cover, karaoke, remix, slowed, sped-up versions cost 0.3 each unless the track is one", () => {
    expect(variantsOf("El Cantante (En Vivo) - Karaoke Version")).toEqual(["live", "karaoke"]);
    expect(variantsOf("Song (Sped Up + Slowed)")).toEqual(["slowed", "sped up"]);
    expect(variantsOf("Oliver Twist")).toEqual([]); // no word inside another
    const exact = scoreCandidate(lavoe, found("Héctor Lavoe - El Cantante", 630));
    const live = scoreCandidate(lavoe, found("Héctor Lavoe - El Cantante (Live)", 630));
    const remix = scoreCandidate(lavoe, found("Héctor Lavoe - El Cantante remix cover", 630));
    expect(exact.score).toBe(1);
    expect(live.variants).toEqual(["live"]);
    expect(live.score).toBeCloseTo(0.7, 5);
    expect(remix.score).toBeCloseTo(0.4, 5);
    // The track itself is a live recording: a live candidate is not penalised.
    const liveTrack = { ...lavoe, title: "El Cantante (Live at Yankee Stadium)" };
    expect(scoreCandidate(liveTrack, found("Hector Lavoe - El Cantante live at Yankee Stadium", 630)).variants).toEqual([]);
  });

  test("duration weighs half; unknown on the candidate's side counts half a match; no listed duration leaves the text alone", () => {
    const off = scoreCandidate(lavoe, found("Héctor Lavoe - El Cantante", 400));
    expect(off.duration).toBe(0);
    expect(off.score).toBe(0.5);
    expect(scoreCandidate(lavoe, found("Héctor Lavoe - El Cantante", null)).score).toBe(0.75);
    expect(scoreCandidate({ ...lavoe, duration_s: null }, found("Héctor Lavoe - El Cantante", 400)).score).toBe(1);
  });

  test("the best candidate is chosen when it reaches the threshold, the first of equals", () => {
    expect(chooseCandidate([{ score: 0.5 }, { score: 0.9 }, { score: 0.9 }], 0.6)).toBe(1);
    expect(chooseCandidate([{ score: 0.5 }, { score: 0.55 }], 0.6)).toBeNull();
    expect(chooseCandidate([], 0)).toBeNull();
  });
});

describe("search templates", () => {
  test("a URL template gets each field URL-encoded; a yt-dlp search gets them as they are", () => {
    expect(searchTarget("http://127.0.0.1:8000/search?q={query}", "AC/DC - T.N.T. & more?", "AC/DC", "T.N.T. & more?")).toBe(
      "http://127.0.0.1:8000/search?q=AC%2FDC%20-%20T.N.T.%20%26%20more%3F",
    );
    expect(searchTarget("ytsearch5:{artist} - {title}", "Héctor Lavoe - El Cantante", "Héctor Lavoe", "El Cantante")).toBe("ytsearch5:Héctor Lavoe - El Cantante");
    // A reviewer's own words replace "{artist} - {title}" as a whole.
    expect(searchTarget("ytsearch5:{artist} - {title} audio", "Lavoe Cantante 1978", "Héctor Lavoe", "El Cantante")).toBe("ytsearch5:Lavoe Cantante 1978 audio");
    expect(searchTarget("scsearch3:{title} {artist}", "x", "A", "B")).toBe("scsearch3:B A");
  });

  test("a template that is neither a search nor a URL, or that has no field, is refused", () => {
    expect(() => checkSearchTemplate("file:///etc/{query}")).toThrow("neither a yt-dlp search");
    expect(() => checkSearchTemplate("ytsearch5:salsa")).toThrow("has none of {artist}, {title}, {query}");
    expect(() => checkSearchTemplate("https://example.org/search?q={query}")).not.toThrow();
    const params = z.object(assemblyParams);
    expect(() => settingsOf(params.parse({ min_score: 0.9, sure_score: 0.8 }))).toThrow("min_score 0.9 is above sure_score 0.8");
    expect(() => params.parse({ rate_limit: "fast" })).toThrow("expected a rate like 2M");
  });
});
