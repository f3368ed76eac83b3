import type { Category } from '../messaging/channel.ts';

/** Every permission (PRODUCT.md safeguard 3). */
export const PERMISSIONS = [
  'message.view.clinical',
  'message.view.billing',
  'message.view.administrative',
  'message.send.clinical',
  'message.send.billing',
  'message.send.administrative',
  'patient.manage',
  'consent.manage',
  'consent.override',
  'template.author',
  'template.approve',
  'audit.read',
  'audit.export',
  'incident.manage',
  'user.admin',
  'breakglass.use',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const VIEW_ALL: Permission[] = ['message.view.clinical', 'message.view.billing', 'message.view.administrative'];

/** @param value - any string @returns true when it names a permission */
export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** What a permission set is: a label, its permissions, and whether it carries the organisation-wide grant. */
export interface PermissionSetDefinition {
  readonly label: string;
  readonly orgWide: boolean;
  readonly permissions: readonly Permission[];
}

/**
 * Seeded permission sets; their names are fixed by PRODUCT.md. They are written to the `permission_set` table at
 * start (administrators add their own beside them). `orgWide` marks sets whose holders see every ward's patients
 * (the organisation-wide grant); the others see only what a sharing rule grants them.
 */
export const SEEDED_PERMISSION_SETS = {
  administrator: { label: 'Administrator', orgWide: true, permissions: [...PERMISSIONS].filter((p) => p !== 'breakglass.use') },
  nurse: {
    label: 'Nurse',
    orgWide: false,
    permissions: ['message.view.clinical', 'message.view.administrative', 'message.send.clinical', 'message.send.administrative', 'patient.manage', 'consent.manage'],
  },
  physician: {
    label: 'Physician',
    orgWide: false,
    permissions: ['message.view.clinical', 'message.view.administrative', 'message.send.clinical', 'message.send.administrative', 'patient.manage', 'consent.manage', 'consent.override', 'breakglass.use'],
  },
  front_desk: {
    label: 'Front Desk',
    orgWide: false,
    permissions: ['message.view.administrative', 'message.send.administrative', 'patient.manage', 'consent.manage'],
  },
  billing_clerk: {
    label: 'Billing Clerk',
    orgWide: true,
    permissions: ['message.view.billing', 'message.send.billing', 'consent.manage'],
  },
  compliance_officer: {
    label: 'Compliance Officer',
    orgWide: true,
    permissions: [...VIEW_ALL, 'audit.read', 'audit.export', 'incident.manage', 'template.approve'],
  },
  security_officer: {
    label: 'Security Officer',
    orgWide: true,
    permissions: ['audit.read', 'audit.export', 'incident.manage', 'user.admin'],
  },
  ai_agent: {
    label: 'AI Agent',
    orgWide: false,
    permissions: ['message.send.administrative', 'message.view.administrative'],
  },
} as const satisfies Record<string, PermissionSetDefinition>;

export type SeededPermissionSetName = keyof typeof SEEDED_PERMISSION_SETS;
export const SEEDED_PERMISSION_SET_NAMES = Object.keys(SEEDED_PERMISSION_SETS) as SeededPermissionSetName[];

/** A permission set's name: lower case, digits and underscores (the `permission_set.name` check). */
export const PERMISSION_SET_NAME_PATTERN = /^[a-z][a-z0-9_]{1,62}$/;

/** @param category - a message category @returns the permission needed to send in it */
export function sendPermission(category: Category): Permission {
  return `message.send.${category}`;
}

/** @param category - a message category @returns the permission needed to read it */
export function viewPermission(category: Category): Permission {
  return `message.view.${category}`;
}

