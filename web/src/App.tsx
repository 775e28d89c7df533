import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useState } from "react";
import { BrowserRouter, Route, Routes, useNavigate } from "react-router";
import { ApiError, setSessionLostHandler } from "./api/client";
import { AuthProvider } from "./auth/AuthContext";
import { Loading } from "./components/ErrorBox";
import { Layout } from "./components/Layout";
import { RequireAuth } from "./components/RequireAuth";
import { I18nProvider } from "./i18n/I18n";
import { CheckoutPage } from "./pages/CheckoutPage";
import { EventPage } from "./pages/EventPage";
import { EventsPage } from "./pages/EventsPage";
import { LoginPage } from "./pages/LoginPage";
import { MyTicketsPage } from "./pages/MyTicketsPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { PaymentFailPage, PaymentSuccessPage } from "./pages/PaymentPages";
import { QueuePage } from "./pages/QueuePage";
import { SeatsPage } from "./pages/SeatsPage";

// Organizer and staff pages are their own chunks: fans never download them (or recharts).
const OrganizerHome = lazy(() => import("./pages/organizer/OrganizerHome"));
const VenueEditorPage = lazy(() => import("./pages/organizer/VenueEditorPage"));
const EventFormPage = lazy(() => import("./pages/organizer/EventFormPage"));
const DashboardPage = lazy(() => import("./pages/organizer/DashboardPage"));
const CheckInPage = lazy(() => import("./pages/staff/CheckInPage"));

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // 4xx answers are final; retry only what may pass (network, 5xx, 429).
        retry: (count, error) =>
          count < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 429),
        refetchOnWindowFocus: false,
      },
    },
  });
}

function SessionLostRedirect() {
  const navigate = useNavigate();
  useEffect(() => {
    setSessionLostHandler(() => {
      const next = encodeURIComponent(window.location.pathname + window.location.search);
      navigate(`/login?next=${next}&expired=1`);
    });
    return () => setSessionLostHandler(null);
  }, [navigate]);
  return null;
}

export function AppRoutes() {
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route element={<Layout />}>
          <Route index element={<EventsPage />} />
          <Route path="events/:eventId" element={<EventPage />} />
          <Route path="login" element={<LoginPage />} />
          <Route path="events/:eventId/queue" element={<RequireAuth><QueuePage /></RequireAuth>} />
          <Route path="events/:eventId/seats" element={<RequireAuth><SeatsPage /></RequireAuth>} />
          <Route path="checkout/:reservationId" element={<RequireAuth><CheckoutPage /></RequireAuth>} />
          <Route path="payments/success" element={<RequireAuth><PaymentSuccessPage /></RequireAuth>} />
          <Route path="payments/fail" element={<PaymentFailPage />} />
          <Route path="me/tickets" element={<RequireAuth><MyTicketsPage /></RequireAuth>} />
          <Route path="organizer" element={<RequireAuth roles={["organizer"]}><OrganizerHome /></RequireAuth>} />
          <Route path="organizer/venues/new" element={<RequireAuth roles={["organizer"]}><VenueEditorPage /></RequireAuth>} />
          <Route path="organizer/events/new" element={<RequireAuth roles={["organizer"]}><EventFormPage /></RequireAuth>} />
          <Route path="organizer/events/:eventId/edit" element={<RequireAuth roles={["organizer"]}><EventFormPage /></RequireAuth>} />
          <Route path="organizer/events/:eventId" element={<RequireAuth roles={["organizer"]}><DashboardPage /></RequireAuth>} />
          <Route path="staff/checkin" element={<RequireAuth roles={["staff"]}><CheckInPage /></RequireAuth>} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </Suspense>
  );
}

export function App() {
  const [client] = useState(makeQueryClient);
  return (
    <QueryClientProvider client={client}>
      <I18nProvider>
        <AuthProvider>
          <BrowserRouter>
            <SessionLostRedirect />
            <AppRoutes />
          </BrowserRouter>
        </AuthProvider>
      </I18nProvider>
    </QueryClientProvider>
  );
}
