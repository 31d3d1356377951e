/** The pages, who may open them, and the way back to sign-in. A page outside the user's role,
 * an unknown path, or a record outside the user's reach all end on the same "not found" page. */
import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { session, whenSessionEnds, type Role } from "@/auth/session";
import { loadCurrentUser } from "@/auth/current";
import AppLayout from "@/layouts/AppLayout.vue";
import LoginPage from "@/pages/LoginPage.vue";
import NotFoundPage from "@/pages/NotFoundPage.vue";

declare module "vue-router" {
  interface RouteMeta {
    public?: boolean;
    roles?: Role[];
    title?: string; // i18n key of the page title (menu and browser tab)
  }
}

const CASE_ROLES: Role[] = ["case_handler", "supervisor", "admin", "auditor"];
const OVERSEER_ROLES: Role[] = ["supervisor", "auditor", "admin"];

export const pageRoutes: RouteRecordRaw[] = [
  { path: "overview", name: "overview", component: () => import("@/pages/OverviewPage.vue"),
    meta: { roles: OVERSEER_ROLES, title: "menu.overview" } },
  { path: "my", name: "my", component: () => import("@/pages/MyWorkPage.vue"),
    meta: { roles: ["officer", "supervisor", "case_handler"], title: "menu.my" } },
  { path: "library", name: "library", component: () => import("@/pages/LibraryPage.vue"), meta: { title: "menu.library" } },
  { path: "recordings/:id(\\d+)", name: "recording", component: () => import("@/pages/RecordingPage.vue"),
    meta: { title: "menu.recording" } },
  { path: "cases", name: "cases", component: () => import("@/pages/CasesPage.vue"), meta: { roles: CASE_ROLES, title: "menu.cases" } },
  // No role list: the API decides who reads a case (its handlers, the unit's overseers, and anyone
  // with an approved access request in force); everyone else gets the same not-found page.
  { path: "cases/:id(\\d+)", name: "case", component: () => import("@/pages/CasePage.vue"),
    meta: { title: "menu.case" } },
  { path: "reviews", name: "reviews", component: () => import("@/pages/ReviewsPage.vue"),
    meta: { roles: OVERSEER_ROLES, title: "menu.reviews" } },
  { path: "reviews/:drawId(\\d+)/items/:itemId(\\d+)", name: "review-item", component: () => import("@/pages/ReviewItemPage.vue"),
    meta: { roles: OVERSEER_ROLES, title: "menu.reviewItem" } },
  { path: "assessment", name: "assessment", component: () => import("@/pages/AssessmentPage.vue"),
    meta: { roles: OVERSEER_ROLES, title: "menu.assessment" } },
  { path: "assessment/settings", name: "assessment-settings", component: () => import("@/pages/AssessmentSettingsPage.vue"),
    meta: { roles: OVERSEER_ROLES, title: "menu.assessmentSettings" } },
  { path: "daily", name: "daily", component: () => import("@/pages/DailyPage.vue"),
    meta: { roles: OVERSEER_ROLES, title: "menu.daily" } },
  { path: "weekly", name: "weekly", component: () => import("@/pages/WeeklyPage.vue"),
    meta: { roles: OVERSEER_ROLES, title: "menu.weekly" } },
  { path: "monthly", name: "monthly", component: () => import("@/pages/MonthlyPage.vue"),
    meta: { roles: OVERSEER_ROLES, title: "menu.monthly" } },
  { path: "ledger-import", name: "ledger-import", component: () => import("@/pages/LedgerImportPage.vue"),
    meta: { roles: ["admin", "supervisor"], title: "menu.ledgerImport" } },
  { path: "admin", name: "admin", component: () => import("@/pages/AdminPage.vue"), meta: { roles: ["admin"], title: "menu.admin" } },
  { path: "coverage", name: "coverage", component: () => import("@/pages/CoveragePage.vue"),
    meta: { roles: ["supervisor", "case_handler", "auditor", "admin"], title: "menu.coverage" } },
  { path: "audit", name: "audit", component: () => import("@/pages/AuditPage.vue"),
    meta: { roles: ["auditor", "admin"], title: "menu.audit" } },
  { path: "access-requests", name: "access-requests", component: () => import("@/pages/AccessRequestsPage.vue"),
    meta: { title: "menu.access-requests" } },
];

export const routes: RouteRecordRaw[] = [
  { path: "/login", name: "login", component: LoginPage, meta: { public: true, title: "login.title" } },
  { path: "/", component: AppLayout, children: [
    { path: "", name: "home", redirect: () => homeFor(session.user?.role as Role | undefined) },
    ...pageRoutes,
    { path: ":rest(.*)*", name: "not-found", component: NotFoundPage, meta: { title: "notFound.title" } },
  ] },
];

export function homeFor(role: Role | undefined): string {
  if (role === "officer") return "/my";
  return role && OVERSEER_ROLES.includes(role) ? "/overview" : "/library";
}

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (!session.token) return { name: "login", query: { redirect: to.fullPath } };
  if (!session.user && !(await loadCurrentUser())) return { name: "login", query: { redirect: to.fullPath } };
  const roles = to.meta.roles;
  if (roles && !roles.includes(session.user!.role as Role)) {
    return { name: "not-found", params: { rest: to.path.slice(1).split("/") } };
  }
  return true;
});

whenSessionEnds((reason) => {
  const here = router.currentRoute.value;
  if (here.meta.public) return;
  router.push({ name: "login", query: { redirect: here.fullPath, reason } });
});
