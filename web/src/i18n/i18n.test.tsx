import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";
import { Layout } from "../components/Layout";
import { renderApp } from "../test/render";
import { dictionaries } from "./dict";
import { translate } from "./I18n";

describe("i18n", () => {
  it("has every key in both languages, none empty", () => {
    const ko = Object.entries(dictionaries.ko);
    expect(ko.length).toBe(Object.keys(dictionaries.en).length);
    for (const [, text] of ko) expect(text.trim()).not.toBe("");
  });

  it("fills placeholders", () => {
    expect(translate("en", "seats.selected", { n: 2, limit: 4 })).toBe("Selected 2 of 4");
    expect(translate("ko", "seat.name", { section: "A", row: "B", number: 7 })).toBe("A구역 B열 7번");
  });

  it("starts in Korean, switches to English and remembers it", async () => {
    const view = renderApp(
      <Routes>
        <Route element={<Layout />}>
          <Route index element={<p>home</p>} />
        </Route>
      </Routes>,
    );
    expect(screen.getByRole("link", { name: "공연" })).toBeInTheDocument();
    expect(document.documentElement.lang).toBe("ko");
    await userEvent.selectOptions(screen.getByTestId("lang"), "en");
    expect(screen.getByRole("link", { name: "Events" })).toBeInTheDocument();
    expect(localStorage.getItem("tiketi.lang")).toBe("en");
    expect(document.documentElement.lang).toBe("en");
    view.unmount();
    // A new visit starts in the saved language.
    renderApp(
      <Routes>
        <Route element={<Layout />}>
          <Route index element={<p>home</p>} />
        </Route>
      </Routes>,
    );
    expect(screen.getByRole("link", { name: "Log in" })).toBeInTheDocument();
  });
});
