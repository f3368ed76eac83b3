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

/**
 * Seeded permission sets; their names are fixed by PRODUCT.md. `allWards` marks sets whose holders see every
 * ward's patients (the others see only the wards they are assigned to).
 */
export const PERMISSION_SETS = {
  administrator: { allWards: true, permissions: [...PERMISSIONS].filter((p) => p !== 'breakglass.use') },
  nurse: {
    allWards: false,
    permissions: ['message.view.clinical', 'message.view.administrative', 'message.send.clinical', 'message.send.administrative', 'patient.manage', 'consent.manage'],
  },
  physician: {
    allWards: false,
    permissions: ['message.view.clinical', 'message.view.administrative', 'message.send.clinical', 'message.send.administrative', 'patient.manage', 'consent.manage', 'consent.override', 'breakglass.use'],
  },
  front_desk: {
    allWards: false,
    permissions: ['message.view.administrative', 'message.send.administrative', 'patient.manage', 'consent.manage'],
  },
  billing_clerk: {
    allWards: true,
    permissions: ['message.view.billing', 'message.send.billing', 'consent.manage'],
  },
  compliance_officer: {
    allWards: true,
    permissions: [...VIEW_ALL, 'audit.read', 'audit.export', 'incident.manage', 'template.approve'],
  },
  security_officer: {
    allWards: true,
    permissions: ['audit.read', 'audit.export', 'incident.manage', 'user.admin'],
  },
  ai_agent: {
    allWards: false,
    permissions: ['message.send.administrative', 'message.view.administrative'],
  },
} as const satisfies Record<string, { allWards: boolean; permissions: readonly Permission[] }>;

export type PermissionSetName = keyof typeof PERMISSION_SETS;
export const PERMISSION_SET_NAMES = Object.keys(PERMISSION_SETS) as PermissionSetName[];

/** @param category - a message category @returns the permission needed to send in it */
export function sendPermission(category: Category): Permission {
  return `message.send.${category}`;
}

/** @param category - a message category @returns the permission needed to read it */
export function viewPermission(category: Category): Permission {
  return `message.view.${category}`;
}

