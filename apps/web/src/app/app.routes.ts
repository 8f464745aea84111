import { Routes } from '@angular/router';

export const routes: Routes = [
  {
    path: '',
    title: 'BYOK Chat',
    loadComponent: () => import('./features/chat/chat-page').then((m) => m.ChatPage),
  },
  { path: '**', redirectTo: '' },
];
